using System.Text.Json.Nodes;

namespace SidecarInjector.Render;

/// <summary>
/// The pod's Namespace as the cluster has it, for an injector that can see the cluster (the
/// webhook with a namespace source). <see cref="Object"/> is null when the namespace is not known
/// (yet). Offline injection has no such view at all, and passes none.
/// </summary>
internal sealed record ClusterNamespace(JsonObject? Object)
{
    /// <summary>Istio's platform.IsOpenShift(): PLATFORM=openshift in the injector's environment.</summary>
    public static bool IsOpenShift(Func<string, string?> environment) =>
        string.Equals(environment("PLATFORM"), "openshift", StringComparison.OrdinalIgnoreCase);
}
