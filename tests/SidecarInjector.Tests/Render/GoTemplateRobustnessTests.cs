using System.Text;
using System.Text.Json.Nodes;
using GoTemplates;
using SidecarInjector.Render;

namespace SidecarInjector.Tests.Render;

/// <summary>
/// Whatever text a ConfigMap holds, parsing and executing it either works or fails with a
/// TemplateError: never another exception that could take a reload (or a request) down.
/// </summary>
public sealed class GoTemplateRobustnessTests
{
    private static readonly string[] Pieces =
    [
        "{{", "}}", "{{-", "-}}", " ", "\n", ".", ".a", ".b.c", "$", "$x", ":=", "=", "|", "(", ")", ",", "\"s\"", "`r`", "'c'", "1", "-2",
        "0x1", "1.5", "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil", "true",
        "and", "or", "not", "eq", "len", "index", "printf", "print", "slice", "default", "quote", "toYaml", "indent", "nindent",
        "/*", "*/", "text", "\"unterminated", "\\", "{", "}", "%d", "%v",
    ];

    private static readonly FunctionTable Functions = IstioFunctions.InjectionFunctions(_ => null);
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("TEMPLATE_FUZZ_ITERATIONS"), out var n) ? n : 5000;
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("TEMPLATE_FUZZ_SEED"), out var s) ? s : 20261124;

    [Fact]
    public void Random_templates_fail_only_with_template_errors()
    {
        var random = new Random(Seed);
        var data = GoValues.FromJson(JsonNode.Parse("""{"a":{"x":1},"b":{"c":[1,2,"three"]},"s":"str","n":0}"""));
        int parsed = 0;
        for (int i = 0; i < Iterations; i++)
        {
            var text = new StringBuilder();
            int count = random.Next(1, 14);
            for (int p = 0; p < count; p++)
            {
                text.Append(Pieces[random.Next(Pieces.Length)]);
            }
            var source = text.ToString();
            GoTemplate template;
            try
            {
                template = GoTemplate.Parse("fuzz", source, Functions);
            }
            catch (TemplateError)
            {
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"parse of {Show(source)} threw {e.GetType().Name}: {e.Message}");
                return;
            }
            parsed++;
            try
            {
                template.Execute(data);
            }
            catch (TemplateError)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"execution of {Show(source)} threw {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(parsed > 100, "the generator should produce some valid templates, got " + parsed);
    }

    private static string Show(string s) => "\"" + s.Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}
