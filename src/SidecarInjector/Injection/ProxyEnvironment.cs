using System.Text.Json.Nodes;

namespace SidecarInjector.Injection;

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
        var proxy = FindProxy(spec["containers"]) ?? FindProxy(spec["initContainers"]);
        if (proxy is null)
        {
            return;
        }
        if (proxy["env"] is not JsonArray list)
        {
            list = [];
            proxy["env"] = list;
        }
        foreach (var (name, value) in env)
        {
            int index = StrategicMerge.IndexOfKey(list, "name", JsonValue.Create(name), "istio-proxy.env");
            var entry = new JsonObject { ["name"] = name, ["value"] = value };
            if (index >= 0)
            {
                list[index] = entry;
            }
            else
            {
                list.Add((JsonNode)entry);
            }
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

    private static JsonObject? FindProxy(JsonNode? containers)
    {
        if (containers is JsonArray list)
        {
            foreach (var item in list)
            {
                if (item is JsonObject c && c["name"] is JsonValue n && n.TryGetValue<string>(out var name) && name == ProxyContainerName)
                {
                    return c;
                }
            }
        }
        return null;
    }
}
