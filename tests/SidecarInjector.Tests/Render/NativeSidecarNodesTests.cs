using SidecarInjector.Render;

namespace SidecarInjector.Tests.Render;

/// <summary>Istio's DetectNativeSidecar under ENABLE_NATIVE_SIDECARS=auto: kubelet 1.33 or later, the pod's node or every node.</summary>
public sealed class NativeSidecarNodesTests
{
    [Theory]
    [InlineData("v1.33.0", true)]
    [InlineData("v1.34.2", true)]
    [InlineData("1.33", true)]
    [InlineData("v1.40.1-eks-4f4795d", true)]
    [InlineData("v1.33.2-gke.1200000", true)]
    [InlineData("v1.33.0+k3s1", true)]
    [InlineData("v1.32.9", false)]
    [InlineData("v1.29.15-eks-0f56d01", false)]
    [InlineData("v1", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("unknown", false)]
    [InlineData("v1.x", false)]
    [InlineData("v1.33x", false)]
    [InlineData("v1.99999999999999999999", false)]
    public void A_kubelet_runs_native_sidecars_from_1_33_on(string? version, bool runs)
    {
        Assert.Equal(runs, NativeSidecarNodes.RunsNativeSidecars(version));
    }

    private static NativeSidecarNodes Nodes(params (string Name, string? Version)[] nodes) =>
        NativeSidecarNodes.Of(nodes.Select(n => KeyValuePair.Create(n.Name, n.Version)));

    [Fact]
    public void A_pod_not_yet_placed_gets_native_sidecars_only_when_every_node_runs_them()
    {
        var modern = Nodes(("a", "v1.34.1"), ("b", "v1.33.0"));
        Assert.True(modern.For(null));
        Assert.True(modern.For(""));
        Assert.Null(modern.FirstUnable);

        var mixed = Nodes(("new", "v1.34.1"), ("old-2", "v1.31.4"), ("old-1", "v1.32.0"));
        Assert.False(mixed.For(null));
        Assert.Equal("old-1", mixed.FirstUnable);
        // No nodes at all: nothing stands in the way, as in Istio.
        Assert.True(Nodes().For(null));
    }

    [Fact]
    public void A_pod_bound_to_a_node_gets_that_nodes_answer_or_every_nodes_when_the_node_is_unknown()
    {
        var mixed = Nodes(("new", "v1.34.1"), ("old", "v1.32.0"));
        Assert.True(mixed.For("new"));
        Assert.False(mixed.For("old"));
        Assert.False(mixed.For("not-seen"));
        Assert.True(Nodes(("new", "v1.34.1")).For("not-seen"));
    }

    [Fact]
    public void Two_views_are_the_same_when_every_node_answers_the_same()
    {
        Assert.True(Nodes(("a", "v1.34.1"), ("b", "v1.32.0")).SameAs(Nodes(("b", "v1.31.0"), ("a", "v1.33.5"))));
        Assert.False(Nodes(("a", "v1.34.1")).SameAs(Nodes(("a", "v1.32.1"))));
        Assert.False(Nodes(("a", "v1.34.1")).SameAs(Nodes(("a", "v1.34.1"), ("b", "v1.34.1"))));
        Assert.False(Nodes(("a", "v1.34.1")).SameAs(Nodes(("b", "v1.34.1"))));
        Assert.False(Nodes().SameAs(null));
    }

    [Theory]
    [InlineData(null, "Auto", true)]
    [InlineData("", "Auto", true)]
    [InlineData("auto", "Auto", true)]
    [InlineData("true", "Enabled", true)]
    [InlineData("false", "Disabled", false)]
    [InlineData("yes", "Disabled", false)]
    public void The_setting_is_read_as_Istio_reads_it_and_is_on_offline_unless_switched_off(string? value, string mode, bool enabledOffline)
    {
        string? Environment(string name) => name == NativeSidecarSetting.Variable ? value : null;
        Assert.Equal(mode, NativeSidecarSetting.Mode(Environment).ToString());
        Assert.Equal(enabledOffline, NativeSidecarSetting.Enabled(Environment));
    }
}
