using System.Text.Json.Nodes;
using SidecarInjector.Json;

namespace SidecarInjector.Merge;

/// <summary>Finding a container by name in a pod's JSON (Istio's FindContainer / FindSidecar).</summary>
internal static class PodContainers
{
    /// <summary>The container called <paramref name="name"/> in a containers list, or null.</summary>
    public static JsonObject? Find(JsonNode? list, string name) => NamedItems.Find(list, name);

    /// <summary>The istio-proxy container, among the containers or (native sidecar) the init containers.</summary>
    public static JsonObject? Proxy(JsonObject pod) =>
        Find(pod["spec"]?["containers"], ProxyEnvironment.ProxyContainerName)
        ?? Find(pod["spec"]?["initContainers"], ProxyEnvironment.ProxyContainerName);
}
