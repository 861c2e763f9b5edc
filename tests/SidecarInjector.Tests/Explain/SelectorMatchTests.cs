extern alias KubernetesAot;
using KubernetesAot::k8s.Models;
using SidecarInjector.Explain;

namespace SidecarInjector.Tests.Explain;

/// <summary>Label selectors as apimachinery evaluates them (labels.Selector), with the failing requirement named.</summary>
public sealed class SelectorMatchTests
{
    private static V1LabelSelector Selector(string op, string key, params string[] values) => new()
    {
        MatchExpressions = [new V1LabelSelectorRequirement { Key = key, OperatorProperty = op, Values = values.Length == 0 ? null : values }],
    };

    private static Dictionary<string, string> Labels(params string[] pairs) => pairs.ToDictionary(p => p.Split('=')[0], p => p.Split('=')[1]);

    [Theory]
    [InlineData("In", "env", new[] { "prod", "stage" }, new[] { "env=prod" }, true)]
    [InlineData("In", "env", new[] { "prod" }, new[] { "env=dev" }, false)]
    [InlineData("In", "env", new[] { "prod" }, new string[0], false)]
    [InlineData("NotIn", "env", new[] { "prod" }, new string[0], true)]
    [InlineData("NotIn", "env", new[] { "prod" }, new[] { "env=prod" }, false)]
    [InlineData("NotIn", "env", new[] { "prod" }, new[] { "env=dev" }, true)]
    [InlineData("Exists", "env", new string[0], new[] { "env=" }, true)]
    [InlineData("Exists", "env", new string[0], new string[0], false)]
    [InlineData("DoesNotExist", "env", new string[0], new string[0], true)]
    [InlineData("DoesNotExist", "env", new string[0], new[] { "env=x" }, false)]
    [InlineData("Sometimes", "env", new string[0], new[] { "env=x" }, false)]
    public void Requirements_hold_as_kubernetes_evaluates_them(string op, string key, string[] values, string[] labels, bool matches)
    {
        var mismatch = SelectorMatch.FirstMismatch(Selector(op, key, values), Labels(labels));
        Assert.Equal(matches, mismatch is null);
    }

    [Fact]
    public void A_missing_or_empty_selector_matches_everything()
    {
        Assert.Null(SelectorMatch.FirstMismatch(null, Labels()));
        Assert.Null(SelectorMatch.FirstMismatch(new V1LabelSelector(), Labels("a=b")));
        Assert.Equal("everything", SelectorMatch.Describe(new V1LabelSelector()));
    }

    [Fact]
    public void Every_part_must_hold_and_the_first_that_does_not_is_named()
    {
        var selector = new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string> { ["team"] = "a" },
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "istio.io/rev", OperatorProperty = "DoesNotExist" }],
        };
        Assert.Equal("team=a, !istio.io/rev", SelectorMatch.Describe(selector));
        Assert.Null(SelectorMatch.FirstMismatch(selector, Labels("team=a")));
        Assert.Equal("needs team=a, has team=b", SelectorMatch.FirstMismatch(selector, Labels("team=b")));
        Assert.Equal("needs !istio.io/rev, has istio.io/rev=canary", SelectorMatch.FirstMismatch(selector, Labels("team=a", "istio.io/rev=canary")));
    }
}
