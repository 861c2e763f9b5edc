using System.Text.Json.Nodes;
using SidecarInjector.Merge;

namespace SidecarInjector.Tests.Merge;

/// <summary>On OpenShift, a declared istio-proxy running as the app's uid loses that uid (Istio's isSidecarUserMatchingAppUser).</summary>
public sealed class OpenShiftProxyUserTests
{
    private static JsonObject Pod(string appContext, string proxyContext, string proxyList = "containers") => (JsonObject)JsonNode.Parse($$"""
        { "spec": {
            "initContainers": [ { "name": "istio-init", "securityContext": { "runAsUser": 0 } } {{(proxyList == "initContainers" ? $", {{ \"name\": \"istio-proxy\", \"securityContext\": {proxyContext} }}" : "")}} ],
            "containers": [ { "name": "app", "securityContext": {{appContext}} } {{(proxyList == "containers" ? $", {{ \"name\": \"istio-proxy\", \"securityContext\": {proxyContext} }}" : "")}} ] } }
        """)!;

    [Theory]
    [InlineData("containers")]
    [InlineData("initContainers")]
    public void The_apps_uid_on_the_proxy_is_dropped_in_a_copy(string list)
    {
        var pod = Pod("""{ "runAsUser": 1000650000 }""", """{ "runAsUser": 1000650000, "runAsGroup": 1000650000, "privileged": false }""", list);
        var before = pod.ToJsonString();
        var reset = OpenShiftProxyUser.Reset(pod);
        Assert.NotSame(pod, reset);
        Assert.Equal(before, pod.ToJsonString());
        var context = PodContainers.Proxy(reset)!["securityContext"]!.AsObject();
        Assert.False(context.ContainsKey("runAsUser"));
        Assert.False(context.ContainsKey("runAsGroup"));
        Assert.False(context["privileged"]!.GetValue<bool>());
    }

    [Fact]
    public void A_uid_of_the_proxys_own_is_kept()
    {
        var pod = Pod("""{ "runAsUser": 1000650000 }""", """{ "runAsUser": 1000650001 }""");
        Assert.Same(pod, OpenShiftProxyUser.Reset(pod));
    }

    [Fact]
    public void A_proxy_without_a_security_context_is_left_alone()
    {
        var pod = (JsonObject)JsonNode.Parse("""{ "spec": { "containers": [ { "name": "app" }, { "name": "istio-proxy" } ] } }""")!;
        Assert.Same(pod, OpenShiftProxyUser.Reset(pod));
    }
}
