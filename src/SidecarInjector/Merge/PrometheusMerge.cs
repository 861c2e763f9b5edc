using System.Globalization;
using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.Json;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Merge;

/// <summary>
/// Istio's metrics merge (webhook.go applyPrometheusMerge and applySecurePrometheusAnnotation): the
/// pod's prometheus.io scrape annotations, and its prometheus.istio.io/scrape-targets, move into the
/// proxy's ISTIO_PROMETHEUS_ANNOTATIONS env, and the pod is pointed at the agent's merged endpoint
/// on the status port. A scrape port that is not a port, or one the proxy itself owns, fails the
/// injection (the agent would scrape itself or something that is not the app).
/// </summary>
internal static class PrometheusMerge
{
    private const string MergeAnnotation = "prometheus.istio.io/merge-metrics";
    internal const string SecurePortAnnotation = "prometheus.istio.io/secure-port";
    internal const string SecurePortEnv = "ENVOY_SECURE_MERGED_METRICS_PORT";

    /// <summary>Ports of the proxy and its agent (pilot-agent's istioReservedPorts), and why.</summary>
    private static readonly Dictionary<string, string> ReservedPorts = new(StringComparer.Ordinal)
    {
        ["15000"] = "Envoy admin",
        ["15001"] = "outbound traffic capture",
        ["15004"] = "pilot debug",
        ["15006"] = "inbound traffic capture",
        ["15008"] = "HBONE tunnel",
        ["15020"] = "pilot-agent status / merged Prometheus",
        ["15021"] = "Envoy health",
        ["15053"] = "DNS proxy",
        ["15090"] = "Envoy Prometheus (already merged)",
    };

    public static void Apply(JsonObject pod, JsonObject mesh, List<string>? warnings = null)
    {
        if (pod["metadata"] is not JsonObject metadata)
        {
            return;
        }
        if (metadata["annotations"] is not JsonObject annotations)
        {
            annotations = [];
        }
        if (Scrapes(annotations) && Enabled(annotations, mesh))
        {
            Merge(pod, metadata, annotations, mesh, warnings);
        }
        PublishSecurePort(pod, metadata);
    }

    private static void Merge(JsonObject pod, JsonObject metadata, JsonObject annotations, JsonObject mesh, List<string>? warnings)
    {
        var targetPort = AgentPort(mesh);
        if (Find(annotations, "prometheus_io_port") is { } current && current == targetPort)
        {
            // Already pointed at the agent: the user controls it, or this is a re-injection.
            return;
        }
        var scrape = new ScrapeConfiguration
        {
            Scrape = Find(annotations, "prometheus_io_scrape") ?? "",
            Path = Find(annotations, "prometheus_io_path") ?? "",
            Port = Find(annotations, "prometheus_io_port") ?? "",
        };
        if (FindKey(annotations, "prometheus_istio_io_scrape_targets") is { } targetsKey)
        {
            var (targets, error) = ParseTargets(annotations[targetsKey]?.ToString() ?? "");
            if (error is null)
            {
                scrape.Targets = targets;
            }
            else
            {
                // As Istio: a malformed list is logged and ignored; the legacy annotations still apply.
                warnings?.Add($"failed to parse {targetsKey} annotation: {error}");
            }
        }
        if (scrape.Targets.Count > 0)
        {
            // Old agents know only port and path: they scrape the first target.
            (scrape.Port, scrape.Path) = (scrape.Targets[0].Port, scrape.Targets[0].Path);
            foreach (var target in scrape.Targets)
            {
                CheckPort(target.Port, targetPort, "invalid prometheus scrape targets: ", "target port");
            }
        }
        else if (scrape.Port.Length > 0)
        {
            CheckPort(scrape.Port, targetPort, "invalid prometheus scrape configuration: ", "port");
        }
        if (!scrape.IsEmpty && PodContainers.Proxy(pod) is { } proxy)
        {
            if (proxy["env"] is not JsonArray env)
            {
                env = [];
                proxy["env"] = env;
            }
            env.Add((JsonNode)new JsonObject { ["name"] = AnnotationsEnvName, ["value"] = GoJson.Serialize(scrape.ToJson()) });
        }
        var keys = new List<string>();
        foreach (var (k, _) in annotations)
        {
            if (SanitizesTo(k, "prometheus_io_path") || SanitizesTo(k, "prometheus_io_port") || SanitizesTo(k, "prometheus_io_scrape")
                || SanitizesTo(k, "prometheus_istio_io_scrape_targets"))
            {
                keys.Add(k);
            }
        }
        foreach (var k in keys)
        {
            annotations.Remove(k);
        }
        foreach (var (key, value) in MergedAnnotations(targetPort))
        {
            annotations[key] = value;
        }
        metadata["annotations"] = annotations;
    }

    /// <summary>True when <see cref="CheckPort"/> would refuse the port (the direct path then leaves the pod to the merge, which says why).</summary>
    internal static bool RefusesPort(string port, string agentPort)
    {
        if (!int.TryParse(port, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) || number < 1 || number > 65535)
        {
            return true;
        }
        var canonical = number.ToString(CultureInfo.InvariantCulture);
        return canonical == agentPort || ReservedPorts.ContainsKey(canonical);
    }

    /// <summary>Which of the annotations the merge moves a key is read as (sanitised: non-alphanumerics as '_'), or null.</summary>
    internal static string? MovedAs(ReadOnlySpan<char> key)
    {
        foreach (var name in (ReadOnlySpan<string>)["prometheus_io_scrape", "prometheus_io_path", "prometheus_io_port"])
        {
            if (SanitizesTo(key, name))
            {
                return name;
            }
        }
        return null;
    }

    /// <summary>True when the merge reads this key for something the direct path leaves to it (scrape targets, the secure port, merge-metrics).</summary>
    internal static bool ReadsOtherwise(ReadOnlySpan<char> key) =>
        SanitizesTo(key, "prometheus_istio_io_scrape_targets") || SanitizesTo(key, "prometheus_istio_io_secure_port") || key.SequenceEqual(MergeAnnotation);

    /// <summary>ISTIO_PROMETHEUS_ANNOTATIONS for a pod's scrape, path and port (no targets), as Go writes it.</summary>
    internal static string AnnotationsEnv(string scrape, string path, string port) =>
        GoJson.Serialize(new ScrapeConfiguration { Scrape = scrape, Path = path, Port = port }.ToJson());

    internal const string AnnotationsEnvName = "ISTIO_PROMETHEUS_ANNOTATIONS";

    /// <summary>A port the agent may scrape: a number 1–65535, not its own, not one of the proxy's.</summary>
    private static void CheckPort(string port, string agentPort, string prefix, string what)
    {
        if (!int.TryParse(port, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) || number < 1 || number > 65535)
        {
            Throw.BadPod($"{prefix}invalid {(what == "port" ? "port" : "target port")} \"{port}\"");
        }
        var canonical = number.ToString(CultureInfo.InvariantCulture);
        if (canonical == agentPort)
        {
            Throw.BadPod($"{prefix}{what} {port} conflicts with agent port");
        }
        if (ReservedPorts.TryGetValue(canonical, out var reason))
        {
            Throw.BadPod($"{prefix}{what} {port} is reserved for Istio ({reason}) and cannot be scraped");
        }
    }

    /// <summary>
    /// pilot-agent's ParseScrapeTargets: "port:path" pairs separated by commas, spaces trimmed, an
    /// empty path meaning /metrics; an entry without a port makes the whole list invalid.
    /// </summary>
    internal static (List<ScrapeTarget> Targets, string? Error) ParseTargets(string raw)
    {
        var targets = new List<ScrapeTarget>();
        foreach (var part in raw.Split(','))
        {
            var entry = part.Trim();
            if (entry.Length == 0)
            {
                continue;
            }
            int colon = entry.IndexOf(':', StringComparison.Ordinal);
            var port = (colon < 0 ? entry : entry[..colon]).Trim();
            if (port.Length == 0)
            {
                return ([], $"empty port in scrape target \"{entry}\"");
            }
            var path = colon < 0 ? "" : entry[(colon + 1)..].Trim();
            targets.Add(new ScrapeTarget(port, path.Length == 0 ? "/metrics" : path));
        }
        return (targets, null);
    }

    /// <summary>
    /// A proxy given ENVOY_SECURE_MERGED_METRICS_PORT serves metrics over mTLS there: say so in
    /// prometheus.istio.io/secure-port, unless the pod set it (any spelling) itself.
    /// </summary>
    private static void PublishSecurePort(JsonObject pod, JsonObject metadata)
    {
        var annotations = metadata["annotations"] as JsonObject;
        if (annotations is not null && FindKey(annotations, "prometheus_istio_io_secure_port") is not null)
        {
            return;
        }
        if (PodContainers.Proxy(pod)?["env"] is not JsonArray env)
        {
            return;
        }
        // Found by name without reading the other entries: the env of a shared render is left unbuilt.
        for (int i = NamedItems.IndexOf(env, SecurePortEnv); i >= 0; i = NamedItems.IndexOf(env, SecurePortEnv, start: i + 1))
        {
            if (env[i]?["value"]?.ToString() is { Length: > 0 } value && value != "0")
            {
                if (annotations is null)
                {
                    annotations = [];
                    metadata["annotations"] = annotations;
                }
                annotations[SecurePortAnnotation] = value;
                return;
            }
        }
    }

    /// <summary>A pod that says prometheus.io/scrape: false (any spelling Go's ParseBool reads) is left alone.</summary>
    /// <summary>Whether the mesh merges metrics for a pod that says nothing about it (no prometheus annotation).</summary>
    internal static bool MergesByDefault(JsonObject mesh) => mesh["enablePrometheusMerge"]?.GetValue<bool>() ?? true;

    /// <summary>The agent's port the pod is pointed at, as the annotation's text.</summary>
    internal static string AgentPort(JsonObject mesh) => mesh["defaultConfig"]?["statusPort"]?.ToString() is { Length: > 0 } port ? port : "15020";

    /// <summary>The annotations a merged pod gets, for the agent's port.</summary>
    internal static KeyValuePair<string, string>[] MergedAnnotations(string agentPort) =>
        [new("prometheus.io/port", agentPort), new("prometheus.io/path", "/stats/prometheus"), new("prometheus.io/scrape", "true")];

    private static bool Scrapes(JsonObject annotations) =>
        Find(annotations, "prometheus_io_scrape") is not { } value || !GoStrconv.TryParseBool(value, out var scrape) || scrape;

    private static bool Enabled(JsonObject annotations, JsonObject mesh)
    {
        if (annotations[MergeAnnotation]?.ToString() is { } requested && GoStrconv.TryParseBool(requested, out var enabled))
        {
            return enabled;
        }
        return mesh["enablePrometheusMerge"]?.GetValue<bool>() ?? true;
    }

    private static string? Find(JsonObject annotations, string sanitized) =>
        FindKey(annotations, sanitized) is { } key ? annotations[key]?.ToString() : null;

    private static string? FindKey(JsonObject annotations, string sanitized)
    {
        for (int i = 0; i < annotations.Count; i++)
        {
            var key = annotations.GetAt(i).Key;
            if (SanitizesTo(key, sanitized))
            {
                return key;
            }
        }
        return null;
    }

    /// <summary>
    /// Whether Prometheus' label-name sanitizing (anything but [a-zA-Z0-9_] becomes '_') makes
    /// <paramref name="name"/> into <paramref name="sanitized"/>; compared in place, per annotation per pod.
    /// </summary>
    private static bool SanitizesTo(ReadOnlySpan<char> name, string sanitized)
    {
        if (name.Length != sanitized.Length)
        {
            return false;
        }
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if ((char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_') != sanitized[i])
            {
                return false;
            }
        }
        return true;
    }

    internal readonly record struct ScrapeTarget(string Port, string Path);

    /// <summary>pilot-agent's PrometheusScrapeConfiguration, written as Go writes it (every field, targets only when any).</summary>
    private sealed class ScrapeConfiguration
    {
        public string Scrape = "";
        public string Path = "";
        public string Port = "";
        public List<ScrapeTarget> Targets = [];

        public bool IsEmpty => Scrape.Length == 0 && Path.Length == 0 && Port.Length == 0 && Targets.Count == 0;

        public JsonObject ToJson()
        {
            var json = new JsonObject { ["scrape"] = Scrape, ["path"] = Path, ["port"] = Port };
            if (Targets.Count > 0)
            {
                var targets = new JsonArray();
                foreach (var target in Targets)
                {
                    targets.Add((JsonNode)new JsonObject { ["port"] = target.Port, ["path"] = target.Path });
                }
                json["targets"] = targets;
            }
            return json;
        }
    }
}
