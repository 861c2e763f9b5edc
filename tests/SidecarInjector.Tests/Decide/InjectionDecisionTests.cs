using System.Text.Json.Nodes;
using SidecarInjector.Configuration;
using SidecarInjector.Decide;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Decide;

public sealed class InjectionDecisionTests
{
    /// <summary>Istio's TestInjectRequired as of December 2024 ("2024-12", 33 rows) and today ("head", 36 rows).</summary>
    public static TheoryData<string, int> IstioCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var table in new[] { "2024-12", "head" })
        {
            foreach (var c in LoadCases(table))
            {
                data.Add(table, c!["index"]!.GetValue<int>());
            }
        }
        return data;
    }

    private static JsonArray LoadCases(string table) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(table == "head" ? Paths.IstioHeadTestdata : Paths.IstioTestdata, "inject-required-cases.json")))!.AsArray();

    [Theory]
    [MemberData(nameof(IstioCases))]
    public void Matches_Istio_inject_required_table(string table, int index)
    {
        JsonNode c = null!;
        foreach (var item in LoadCases(table))
        {
            if (item!["index"]!.GetValue<int>() == index)
            {
                c = item;
            }
        }
        var policy = c["policy"]!.GetValue<string>() switch
        {
            "enabled" => InjectionPolicy.Enabled,
            "disabled" => InjectionPolicy.Disabled,
            _ => InjectionPolicy.Invalid,
        };
        var facts = new PodFacts
        {
            Namespace = c["namespace"]!.GetValue<string>(),
            HostNetwork = c["hostNetwork"]!.GetValue<bool>(),
            Labels = Map(c["labels"]),
            Annotations = Map(c["annotations"]),
        };
        var always = Selectors(c["alwaysInjectSelector"]);
        var never = Selectors(c["neverInjectSelector"]);

        var required = InjectionDecision.IsRequired(policy, never, always, facts);

        Assert.Equal(c["want"]!.GetValue<bool>(), required);
    }

    [Fact]
    public void The_table_is_all_there()
    {
        Assert.Equal(33, LoadCases("2024-12").Count);
        Assert.Equal(36, LoadCases("head").Count);
    }

    [Theory]
    [InlineData("kube-system")]
    [InlineData("kube-public")]
    [InlineData("kube-node-lease")]
    [InlineData("local-path-storage")]
    public void System_namespaces_are_never_injected_even_when_asked(string ns)
    {
        var facts = new PodFacts
        {
            Namespace = ns,
            Labels = new Dictionary<string, string> { ["sidecar.istio.io/inject"] = "true" },
        };
        Assert.False(InjectionDecision.IsRequired(InjectionPolicy.Enabled, [], [], facts));
    }

    [Fact]
    public void Label_wins_over_annotation()
    {
        var facts = new PodFacts
        {
            Namespace = "shop",
            Labels = new Dictionary<string, string> { ["sidecar.istio.io/inject"] = "false" },
            Annotations = new Dictionary<string, string> { ["sidecar.istio.io/inject"] = "true" },
        };
        Assert.False(InjectionDecision.IsRequired(InjectionPolicy.Enabled, [], [], facts));
    }

    [Theory]
    [InlineData("enabled", "", "", false, false, "policy enabled")]
    [InlineData("disabled", "", "", false, false, "policy disabled")]
    [InlineData("disabled", "true", "", false, false, "label sidecar.istio.io/inject=\"true\"")]
    [InlineData("enabled", "", "false", false, false, "annotation sidecar.istio.io/inject=\"false\"")]
    [InlineData("enabled", "maybe", "", true, false, "neverInjectSelector[1] matches")]
    [InlineData("disabled", "", "", false, true, "alwaysInjectSelector[0] matches")]
    [InlineData("enabled", "true", "", false, false, "label sidecar.istio.io/inject=\"true\"")]
    public void The_verdict_names_the_rule_that_decided(string policyName, string label, string annotation, bool never, bool always, string rule)
    {
        var policy = policyName == "enabled" ? InjectionPolicy.Enabled : InjectionPolicy.Disabled;
        var labels = new Dictionary<string, string> { ["tier"] = "web" };
        if (label.Length > 0)
        {
            labels["sidecar.istio.io/inject"] = label;
        }
        var annotations = annotation.Length > 0 ? new Dictionary<string, string> { ["sidecar.istio.io/inject"] = annotation } : [];
        var facts = new PodFacts { Namespace = "shop", Labels = labels, Annotations = annotations };
        var tierIsWeb = new LabelSelector([new("tier", "web")], []);
        var noMatch = new LabelSelector([new("tier", "db")], []);
        List<LabelSelector> neverSelectors = never ? [noMatch, tierIsWeb] : [noMatch];
        List<LabelSelector> alwaysSelectors = always ? [tierIsWeb] : [];

        var verdict = InjectionDecision.Decide(policy, neverSelectors, alwaysSelectors, facts);

        Assert.Equal(rule, verdict.Describe());
        Assert.Equal(InjectionDecision.IsRequired(policy, neverSelectors, alwaysSelectors, facts), verdict.Inject);
    }

    [Fact]
    public void Host_network_is_named_as_the_reason()
    {
        var facts = new PodFacts { Namespace = "shop", HostNetwork = true };
        Assert.Equal("spec.hostNetwork is true", InjectionDecision.Decide(InjectionPolicy.Enabled, [], [], facts).Describe());
    }

    [Fact]
    public void NotIn_matches_a_pod_without_the_key()
    {
        var selector = new LabelSelector([], [new LabelRequirement("tier", SelectorOperator.NotIn, ["db"])]);
        Assert.True(selector.Matches(new Dictionary<string, string>()));
        Assert.False(selector.Matches(new Dictionary<string, string> { ["tier"] = "db" }));
    }

    private static Dictionary<string, string> Map(JsonNode? node)
    {
        var map = new Dictionary<string, string>();
        if (node is JsonObject o)
        {
            foreach (var (k, v) in o)
            {
                map[k] = v!.GetValue<string>();
            }
        }
        return map;
    }

    private static List<LabelSelector> Selectors(JsonNode? node)
    {
        var list = new List<LabelSelector>();
        if (node is JsonArray a)
        {
            for (int i = 0; i < a.Count; i++)
            {
                list.Add(LabelSelectorReader.Read(a[i], "case", "selector"));
            }
        }
        return list;
    }
}
