using System.Text.Json.Nodes;

namespace SidecarInjector.Merge;

/// <summary>
/// Env vars from the webhook path (cluster, network, …) set on the proxy container, replacing a
/// value the template gave (Istio's overwriteClusterInfo); the network also labels the pod.
/// </summary>
internal static class ProxyEnvironment
{
    public const string ProxyContainerName = "istio-proxy";
    private const string NetworkEnv = "ISTIO_META_NETWORK";
    private const string NetworkLabel = "topology.istio.io/network";

    public static void Apply(JsonObject pod, IReadOnlyList<KeyValuePair<string, string>> env)
    {
        if (env.Count == 0 || pod["spec"] is not JsonObject spec)
        {
            return;
        }
        var proxy = PodContainers.Proxy(pod);
        if (proxy is null)
        {
            return;
        }
        if (proxy["env"] is not JsonArray list)
        {
            list = [];
            proxy["env"] = list;
        }
        // Istio's updateClusterEnvs: drop the entries these replace, then append all of them, sorted by name.
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in env)
        {
            names.Add(name);
        }
        for (int i = list.Count - 1; i >= 0; i--)
        {
            if (list[i]?["name"]?.ToString() is { } existing && names.Contains(existing))
            {
                list.RemoveAt(i);
            }
        }
        var sorted = new List<KeyValuePair<string, string>>(env);
        sorted.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var (name, value) in sorted)
        {
            list.Add((JsonNode)new JsonObject { ["name"] = name, ["value"] = value });
            if (name == NetworkEnv && pod["metadata"] is JsonObject metadata)
            {
                if (metadata["labels"] is not JsonObject labels)
                {
                    labels = [];
                    metadata["labels"] = labels;
                }
                labels[NetworkLabel] = value;
            }
        }
    }

}
