using System.Text.Json.Nodes;
using SidecarInjector.Render;

namespace SidecarInjector.Tests.Render;

/// <summary>OpenShift's namespace ranges as Istio's GetProxyIDs reads them.</summary>
public sealed class ProxyIdsTests
{
    private static JsonObject Namespace(string annotations) =>
        (JsonObject)JsonNode.Parse($$"""{ "metadata": { "name": "ns", "annotations": {{annotations}} } }""")!;

    [Theory]
    [InlineData("""{ "openshift.io/sa.scc.uid-range": "1000620000/10000", "openshift.io/sa.scc.supplemental-groups": "1000620000/10000" }""", 1000629999, 1000629999)]
    [InlineData("""{ "openshift.io/sa.scc.uid-range": "1000620000/10000" }""", 1000629999, 1000629999)]
    [InlineData("""{ "openshift.io/sa.scc.uid-range": "2000-2999", "openshift.io/sa.scc.supplemental-groups": "5000/100,7000/10" }""", 2999, 5099)]
    [InlineData("""{ "openshift.io/sa.scc.uid-range": "nonsense", "openshift.io/sa.scc.supplemental-groups": "5000/100" }""", 1337, 5099)]
    [InlineData("""{ "openshift.io/sa.scc.supplemental-groups": "5000/100,bad" }""", 1337, 1337)]
    [InlineData("""{}""", 1337, 1337)]
    public void The_highest_id_of_the_namespaces_ranges(string annotations, long uid, long gid)
    {
        Assert.Equal((uid, gid), ProxyIds.For(Namespace(annotations)));
    }

    [Fact]
    public void An_unknown_namespace_gets_1337()
    {
        Assert.Equal((1337L, 1337L), ProxyIds.For(null));
    }
}
