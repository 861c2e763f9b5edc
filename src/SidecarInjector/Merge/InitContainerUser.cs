using System.Globalization;
using System.Text.Json.Nodes;

namespace SidecarInjector.Merge;

/// <summary>
/// Istio's adjustInitContainerUser: when the pod's own istio-proxy sets runAsUser/runAsGroup,
/// iptables must exclude that uid (the init container's "-u" argument), the validation container
/// runs as it, and in TPROXY mode the proxy keeps uid 0.
/// </summary>
internal static class InitContainerUser
{
    public static void Apply(JsonObject merged, JsonObject original, string interceptionMode)
    {
        // Istio's FindSidecar: among the containers, else the init containers (a native sidecar).
        var user = PodContainers.Proxy(original);
        if (user?["securityContext"] is not JsonObject userContext)
        {
            return;
        }
        var runAsUser = userContext["runAsUser"];
        var runAsGroup = userContext["runAsGroup"];
        if (runAsUser is null && runAsGroup is null)
        {
            return;
        }
        var initContainers = merged["spec"]?["initContainers"];
        var init = PodContainers.Find(initContainers, "istio-init") ?? PodContainers.Find(initContainers, "istio-validation");
        if (init is null)
        {
            return;
        }
        bool tproxy = interceptionMode == "TPROXY"
            || merged["metadata"]?["annotations"]?["sidecar.istio.io/interceptionMode"]?.ToString() == "TPROXY";
        if (tproxy && runAsUser is not null && PodContainers.Proxy(merged)?["securityContext"] is JsonObject proxyContext)
        {
            proxyContext["runAsUser"] = 0L;
        }
        if (!tproxy && init["name"]?.ToString() == "istio-validation")
        {
            if (init["securityContext"] is not JsonObject context)
            {
                context = [];
                init["securityContext"] = context;
            }
            if (runAsUser is not null)
            {
                context["runAsUser"] = runAsUser.DeepClone();
            }
            if (runAsGroup is not null)
            {
                context["runAsGroup"] = runAsGroup.DeepClone();
            }
        }
        // iptables' --uid-owner must not be 0.
        if (runAsUser is not JsonValue uidValue || !uidValue.TryGetValue<long>(out var uid) || uid == 0 || init["args"] is not JsonArray args)
        {
            return;
        }
        for (int i = 0; i + 1 < args.Count; i++)
        {
            if (args[i]?.ToString() == "-u")
            {
                args[i + 1] = uid.ToString(CultureInfo.InvariantCulture);
                return;
            }
        }
    }
}
