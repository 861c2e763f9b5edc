using System.Text.Json.Nodes;
using SidecarInjector.Merge;

namespace SidecarInjector.Tests.Merge;

/// <summary>
/// Istio's adjustInitContainerUser: a uid the pod set on its own istio-proxy is excluded from
/// iptables; in TPROXY mode the proxy still runs as 0, wherever it sits (container or native sidecar).
/// </summary>
public sealed class InitContainerUserTests
{
    private static JsonObject Pod(string proxyList, string? annotationMode = null)
    {
        var pod = (JsonObject)JsonNode.Parse($$"""
            {
              "metadata": { "annotations": { {{(annotationMode is null ? "" : $"\"sidecar.istio.io/interceptionMode\": \"{annotationMode}\"")}} } },
              "spec": {
                "initContainers": [ { "name": "istio-init", "args": ["istio-iptables", "-u", "1337", "-m", "REDIRECT"] } ],
                "containers": [ { "name": "app" } ]
              }
            }
            """)!;
        pod["spec"]![proxyList]!.AsArray().Add(JsonNode.Parse("""{ "name": "istio-proxy", "securityContext": { "runAsUser": 1337, "runAsGroup": 1337 } }"""));
        return pod;
    }

    private static JsonObject Original(string proxyList) => (JsonObject)JsonNode.Parse($$"""
        { "spec": { "{{proxyList}}": [ { "name": "istio-proxy", "securityContext": { "runAsUser": 1234 } } ] } }
        """)!;

    private static JsonObject ProxyOf(JsonObject pod, string list) => PodContainers.Find(pod["spec"]![list], "istio-proxy")!;

    [Theory]
    [InlineData("containers")]
    [InlineData("initContainers")]
    public void Redirect_mode_excludes_the_pods_own_uid_from_iptables(string list)
    {
        var merged = Pod(list);
        InitContainerUser.Apply(merged, Original(list), "REDIRECT");
        Assert.Equal("1234", merged["spec"]!["initContainers"]![0]!["args"]![2]!.ToString());
        Assert.Equal(1337, ProxyOf(merged, list)["securityContext"]!["runAsUser"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("containers", "TPROXY", null)]
    [InlineData("initContainers", "TPROXY", null)]
    [InlineData("initContainers", "REDIRECT", "TPROXY")]
    public void Tproxy_mode_keeps_the_proxy_at_uid_0_even_as_a_native_sidecar(string list, string meshMode, string? annotation)
    {
        var merged = Pod(list, annotation);
        InitContainerUser.Apply(merged, Original(list), meshMode);
        Assert.Equal(0, ProxyOf(merged, list)["securityContext"]!["runAsUser"]!.GetValue<long>());
    }

    [Fact]
    public void A_pod_without_its_own_proxy_user_is_left_alone()
    {
        var merged = Pod("containers");
        var before = merged.ToJsonString();
        InitContainerUser.Apply(merged, (JsonObject)JsonNode.Parse("""{ "spec": { "containers": [ { "name": "app" } ] } }""")!, "TPROXY");
        Assert.Equal(before, merged.ToJsonString());
    }
}
