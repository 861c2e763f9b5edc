using System.Text.Json.Nodes;

namespace GoTemplates.Tests;

/// <summary>A hostile or broken template stops with an error naming its position, not after pinning a core or filling memory.</summary>
public sealed class BudgetTests
{
    private static readonly FunctionTable Functions = Builtins.AddTo(new FunctionTable());

    private static TemplateError Fails(string template)
    {
        var parsed = GoTemplate.Parse("t", template, Functions);
        return Assert.Throws<TemplateError>(() => parsed.Execute(GoValues.FromJson(JsonNode.Parse("{}"))));
    }

    [Fact]
    public void A_template_that_calls_itself_twice_per_level_runs_out_of_steps()
    {
        // 2^40 calls if nothing stopped it.
        var e = Fails("""{{define "grow"}}{{if lt (len .) 40}}{{template "grow" (printf "%sx" .)}}{{template "grow" (printf "%sy" .)}}{{end}}{{end}}""" +
                      """{{template "grow" ""}}""");

        Assert.Contains($"more than {Evaluator.MaxSteps} evaluation steps", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_that_doubles_is_stopped_before_it_fills_memory()
    {
        var e = Fails("""{{$x := "ab"}}{{range $i := 40}}{{$x = printf "%s%s" $x $x}}{{end}}{{len $x}}""");

        Assert.Contains($"larger than {Evaluator.MaxValueChars} characters", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("template: t:1:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ordinary_templates_are_far_inside_the_budgets()
    {
        var parsed = GoTemplate.Parse("t", """{{range $i := 10000}}{{if eq (printf "%d" $i) "9999"}}last{{end}}{{end}}""", Functions);

        Assert.Equal("last", parsed.Execute(GoValues.FromJson(JsonNode.Parse("{}"))));
    }
}
