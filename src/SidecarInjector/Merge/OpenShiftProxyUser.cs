using System.Text.Json.Nodes;

namespace SidecarInjector.Merge;

/// <summary>
/// OpenShift gives every container of a pod the same runAsUser when the pod does not set one; an
/// istio-proxy the pod declares would then run as the app's uid, and iptables could not tell the
/// proxy's traffic from the app's. So, as Istio's webhook does on OpenShift, when the pod's own
/// istio-proxy has the app's runAsUser (the last app container's, 0 for none), its runAsUser and
/// runAsGroup are dropped and the template's (the namespace's range) apply.
/// </summary>
internal static class OpenShiftProxyUser
{
    /// <summary>The pod to inject: <paramref name="pod"/> itself, or a copy without the proxy's user when it matches the app's.</summary>
    public static JsonObject Reset(JsonObject pod)
    {
        if (PodContainers.Proxy(pod)?["securityContext"] is not JsonObject || !ProxyUserMatchesApp(pod))
        {
            return pod;
        }
        var copy = pod.DeepClone().AsObject();
        var context = (JsonObject)PodContainers.Proxy(copy)!["securityContext"]!;
        context.Remove("runAsUser");
        context.Remove("runAsGroup");
        return copy;
    }

    private static bool ProxyUserMatchesApp(JsonObject pod)
    {
        long proxyUser = 0, appUser = 0;
        foreach (var list in new[] { pod["spec"]?["containers"], pod["spec"]?["initContainers"] })
        {
            foreach (var item in list as JsonArray ?? [])
            {
                if (item is not JsonObject container || container["securityContext"]?["runAsUser"] is not JsonValue user
                    || !user.TryGetValue<long>(out var uid))
                {
                    continue;
                }
                var name = container["name"]?.ToString();
                if (name == ProxyEnvironment.ProxyContainerName)
                {
                    proxyUser = uid;
                }
                else if (name is not ("istio-init" or "istio-validation"))
                {
                    appUser = uid;
                }
            }
        }
        return proxyUser == appUser;
    }
}
