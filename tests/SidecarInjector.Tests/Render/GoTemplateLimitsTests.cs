using GoTemplates;
using SidecarInjector.Render;

namespace SidecarInjector.Tests.Render;

/// <summary>Limits that keep a hostile or broken template from taking the process down.</summary>
public sealed class GoTemplateLimitsTests
{
    [Theory]
    [InlineData("{{ range 100000000 }}xxxxxxxxxx{{ end }}", "output is larger than")]
    [InlineData("{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}", "maximum template depth")]
    [InlineData("{{ range 100000000 }}{{ end }}", "loop iterations")]
    public void Runaway_templates_stop_with_an_error(string text, string expected)
    {
        var template = GoTemplate.Parse("t", text, IstioFunctions.InjectionFunctions(_ => null));
        var e = Assert.Throws<TemplateError>(() => template.Execute(null));
        Assert.Contains(expected, e.Message);
    }
}
