using System.Text;
using System.Text.Json.Nodes;

namespace SidecarInjector.Merge;

/// <summary>
/// Istio's metrics merge (webhook.go applyPrometheusMerge): the pod's prometheus.io scrape
/// annotations move into the proxy's ISTIO_PROMETHEUS_ANNOTATIONS env, and the pod is pointed at
/// the agent's merged endpoint on the status port.
/// </summary>
internal static class PrometheusMerge
{
    private const string MergeAnnotation = "prometheus.istio.io/merge-metrics";

    public static void Apply(JsonObject pod, JsonObject mesh)
    {
        if (pod["metadata"] is not JsonObject metadata)
        {
            return;
        }
        if (metadata["annotations"] is not JsonObject annotations)
        {
            annotations = [];
        }
        if (!Scrapes(annotations) || !Enabled(annotations, mesh))
        {
            return;
        }
        var targetPort = (mesh["defaultConfig"]?["statusPort"]?.ToString() is { Length: > 0 } port) ? port : "15020";
        if (Find(annotations, "prometheus_io_port") is { } current && current == targetPort)
        {
            // Already pointed at the agent: the user controls it, or this is a re-injection.
            return;
        }
        var scrape = Find(annotations, "prometheus_io_scrape");
        if (scrape is not null && PodContainers.Proxy(pod) is { } proxy)
        {
            var config = new JsonObject { ["scrape"] = scrape };
            if (Find(annotations, "prometheus_io_path") is { } path)
            {
                config["path"] = path;
            }
            if (Find(annotations, "prometheus_io_port") is { } userPort)
            {
                config["port"] = userPort;
            }
            if (proxy["env"] is not JsonArray env)
            {
                env = [];
                proxy["env"] = env;
            }
            env.Add((JsonNode)new JsonObject { ["name"] = "ISTIO_PROMETHEUS_ANNOTATIONS", ["value"] = config.ToJsonString() });
        }
        var keys = new List<string>();
        foreach (var (k, _) in annotations)
        {
            if (Sanitize(k) is "prometheus_io_path" or "prometheus_io_port" or "prometheus_io_scrape")
            {
                keys.Add(k);
            }
        }
        foreach (var k in keys)
        {
            annotations.Remove(k);
        }
        annotations["prometheus.io/port"] = targetPort;
        annotations["prometheus.io/path"] = "/stats/prometheus";
        annotations["prometheus.io/scrape"] = "true";
        metadata["annotations"] = annotations;
    }

    /// <summary>A pod that says prometheus.io/scrape: false (any spelling) is left alone.</summary>
    private static bool Scrapes(JsonObject annotations) =>
        Find(annotations, "prometheus_io_scrape") is not { } value || !bool.TryParse(value, out var scrape) || scrape;

    private static bool Enabled(JsonObject annotations, JsonObject mesh)
    {
        if (annotations[MergeAnnotation]?.GetValue<string>() is { } requested && bool.TryParse(requested, out var enabled))
        {
            return enabled;
        }
        return mesh["enablePrometheusMerge"]?.GetValue<bool>() ?? true;
    }

    private static string? Find(JsonObject annotations, string sanitized)
    {
        foreach (var (k, v) in annotations)
        {
            if (Sanitize(k) == sanitized)
            {
                return v?.ToString();
            }
        }
        return null;
    }

    /// <summary>Prometheus label-name sanitizing: anything but [a-zA-Z0-9_] becomes '_'.</summary>
    private static string Sanitize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }
        return text.ToString();
    }

}
