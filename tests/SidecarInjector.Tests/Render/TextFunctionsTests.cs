using System.Text.Json.Nodes;
using GoTemplates;
using SidecarInjector.Render;

namespace SidecarInjector.Tests.Render;

/// <summary>indent, nindent and toYaml as Sprig and Istio define them, made in fewer steps.</summary>
public sealed class TextFunctionsTests
{
    private static string Render(string text, object? data = null) =>
        GoTemplate.Parse("t", text, IstioFunctions.InjectionFunctions(_ => null)).Execute(data);

    public static TheoryData<string, int> Texts => new()
    {
        { "", 0 }, { "", 3 }, { "one", 2 }, { "a\nb", 1 }, { "a\nb\n", 4 }, { "\n\n", 2 }, { "key: value\nlist:\n- x\n", 12 },
        { "ünïcode\r\nline", 3 },
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Indents_every_line_as_pad_and_replace_would(string text, int width)
    {
        var pad = new string(' ', width);
        // Sprig's indent pads every line; its nindent starts with a line break; Istio's indent (the one
        // injection templates get) pads every line but the first.
        Assert.Equal(pad + text.Replace("\n", "\n" + pad, StringComparison.Ordinal),
            SprigFunctions.Indented(text, width, padFirstLine: true, leadingNewline: false));
        Assert.Equal("\n" + pad + text.Replace("\n", "\n" + pad, StringComparison.Ordinal),
            SprigFunctions.Indented(text, width, padFirstLine: true, leadingNewline: true));
        Assert.Equal(text.Replace("\n", "\n" + pad, StringComparison.Ordinal),
            SprigFunctions.Indented(text, width, padFirstLine: false, leadingNewline: false));
    }

    [Fact]
    public void The_template_functions_indent_as_before()
    {
        var data = GoValues.FromJson(new JsonObject { ["text"] = "a\nb" });
        Assert.Equal("x\n    a\n    b", Render("x{{ nindent 4 .text }}", data));
        Assert.Equal("a\n  b", Render("{{ indent 2 .text }}", data));
    }

    [Fact]
    public void A_map_keeps_its_yaml_and_another_map_gets_its_own()
    {
        var resources = new JsonObject { ["limits"] = new JsonObject { ["cpu"] = "2" }, ["requests"] = new JsonObject { ["cpu"] = "100m" } };
        var data = GoValues.FromJson(new JsonObject { ["resources"] = resources, ["other"] = new JsonObject { ["cpu"] = "1" } });
        const string Expected = "limits:\n  cpu: \"2\"\nrequests:\n  cpu: 100m\n";
        Assert.Equal(Expected, Render("{{ toYaml .resources }}", data));
        Assert.Equal(Expected, Render("{{ toYaml .resources }}", data));
        Assert.Equal("cpu: \"1\"\n", Render("{{ toYaml .other }}", data));
        Assert.Equal("cpu: \"1\"\n---limits:\n  cpu: \"2\"\nrequests:\n  cpu: 100m\n", Render("{{ toYaml .other }}---{{ toYaml .resources }}", data));

        var map = (GoMap)((GoMap)data!).Entries["resources"]!;
        Func<GoMap, string> count = m => m.Entries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Same(map.Derived(count), map.Derived(count));
        Assert.Equal("2", map.Derived(count));
    }
}
