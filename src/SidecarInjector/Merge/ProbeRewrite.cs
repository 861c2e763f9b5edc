using System.Globalization;
using System.Text.Json.Nodes;
using SidecarInjector.Json;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Merge;

/// <summary>
/// Istio's app-probe rewrite (app_probe.go, webhook.go applyRewrite): the app containers' HTTP,
/// TCP and gRPC probes and lifecycle hooks are handed to the proxy's agent (ISTIO_KUBE_APP_PROBERS)
/// and the kubelet is pointed at the agent's status port instead, so probes work under mTLS.
/// </summary>
internal static class ProbeRewrite
{
    private const string RewriteAnnotation = "sidecar.istio.io/rewriteAppHTTPProbers";
    private const string StatusPortAnnotation = "status.sidecar.istio.io/port";
    public const string ProbersEnv = "ISTIO_KUBE_APP_PROBERS";

    /// <summary>The probes handed to the agent, and the last segment of their path there.</summary>
    internal static readonly (string Field, string Url)[] Probes = [("readinessProbe", "readyz"), ("livenessProbe", "livez"), ("startupProbe", "startupz")];

    /// <summary>The lifecycle hooks handed to the agent, and the last segment of their path there.</summary>
    internal static readonly (string Field, string Url)[] Hooks = [("preStop", "prestopz"), ("postStart", "poststartz")];

    /// <param name="previousProbers">The ISTIO_KUBE_APP_PROBERS of a previous injection, kept and added to.</param>
    public static void Apply(JsonObject pod, JsonObject values, JsonObject mesh, string? previousProbers)
    {
        var annotations = pod["metadata"]?["annotations"] as JsonObject;
        if (!ShouldRewrite(annotations, values) || pod["spec"] is not JsonObject spec)
        {
            return;
        }
        var proxy = PodContainers.Proxy(pod);
        if (proxy is null)
        {
            return;
        }
        long statusPort = MeshStatusPort(mesh);
        if (annotations?[StatusPortAnnotation]?.GetValue<string>() is { } requested
            && long.TryParse(requested, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port))
        {
            statusPort = port;
        }
        if (statusPort <= 0)
        {
            return;
        }

        var probers = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var field in (ReadOnlySpan<string>)["containers", "initContainers"])
        {
            foreach (var item in spec[field] as JsonArray ?? [])
            {
                if (item is not JsonObject container || container["name"]?.ToString() is not { } name || name == ProxyEnvironment.ProxyContainerName)
                {
                    continue;
                }
                RewriteContainer(container, name, statusPort, probers);
            }
        }
        // Probers of a previous injection stay (their probes already point at the agent); new ones
        // are added: Istio's mergeOrAppendProbers.
        if (previousProbers is not null)
        {
            try
            {
                if (JsonNode.Parse(previousProbers) is JsonObject old)
                {
                    foreach (var (path, prober) in old)
                    {
                        if (prober is JsonObject p)
                        {
                            probers[path] = (JsonObject)p.DeepClone();
                        }
                    }
                }
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }
        if (probers.Count == 0)
        {
            return;
        }
        SetProbersEnv(proxy, ProbersValue(probers));
    }

    /// <summary>Where a rewritten container's fields are, as flags (<see cref="RewriteContainer"/>'s result).</summary>
    internal static readonly string[] RewritableFields = [.. Array.ConvertAll(Probes, probe => probe.Field), "lifecycle"];

    /// <summary>
    /// Points one app container's probes and hooks at the agent, adding their probers. Returns which of
    /// <see cref="RewritableFields"/> were replaced, bit by bit.
    /// </summary>
    internal static int RewriteContainer(JsonObject container, string name, long statusPort, SortedDictionary<string, JsonObject> probers)
    {
        int rewritten = 0;
        var ports = NamedPorts(container);
        for (int i = 0; i < Probes.Length; i++)
        {
            var (probeField, url) = Probes[i];
            if (container[probeField] is JsonObject probe && Prober(probe, ports, statusPort, withTimeout: true) is { } prober)
            {
                var path = $"/app-health/{name}/{url}";
                probers[path] = prober;
                container[probeField] = Rewritten(probe, path, statusPort);
                rewritten |= 1 << i;
            }
        }
        if (container["lifecycle"] is JsonObject lifecycle)
        {
            foreach (var (hookField, url) in Hooks)
            {
                if (lifecycle[hookField] is JsonObject hook && Prober(hook, ports, statusPort, withTimeout: false) is { } prober)
                {
                    var path = $"/app-lifecycle/{name}/{url}";
                    probers[path] = prober;
                    lifecycle[hookField] = Rewritten(hook, path, statusPort);
                    rewritten |= 1 << Probes.Length;
                }
            }
        }
        return rewritten;
    }

    /// <summary>The probers as the agent reads them from ISTIO_KUBE_APP_PROBERS: a JSON map by path, as Go writes it.</summary>
    internal static string ProbersValue(SortedDictionary<string, JsonObject> probers)
    {
        var value = new JsonObject();
        foreach (var (path, prober) in probers)
        {
            value[path] = prober;
        }
        return GoJson.Serialize(value);
    }

    /// <summary>Whether the config rewrites probes (values' sidecarInjectorWebhook.rewriteAppHTTPProbe) for a pod that does not say.</summary>
    internal static bool RewritesByDefault(JsonObject values) => ShouldRewrite(null, values);

    /// <summary>The agent's status port of the mesh config (a pod's status.sidecar.istio.io/port aside).</summary>
    internal static long MeshStatusPort(JsonObject mesh) => mesh["defaultConfig"]?["statusPort"]?.GetValue<long>() ?? 15020;

    private static bool ShouldRewrite(JsonObject? annotations, JsonObject values)
    {
        if (annotations?[RewriteAnnotation]?.GetValue<string>() is { } text && bool.TryParse(text, out var fromAnnotation))
        {
            return fromAnnotation;
        }
        return values["sidecarInjectorWebhook"]?["rewriteAppHTTPProbe"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
    }

    /// <summary>The agent's view of a probe or hook: httpGet/tcpSocket/grpc with named ports resolved, and the timeout.</summary>
    private static JsonObject? Prober(JsonObject probe, Dictionary<string, long> ports, long statusPort, bool withTimeout)
    {
        JsonObject? prober = null;
        if (probe["httpGet"] is JsonObject http)
        {
            if (Port(http["port"], ports) is not { } port || port == statusPort)
            {
                return null;
            }
            var copy = http.DeepClone().AsObject();
            copy["port"] = port;
            prober = new JsonObject { ["httpGet"] = GoTypes.Order(copy, "HTTPGetAction") };
        }
        else if (probe["tcpSocket"] is JsonObject tcp)
        {
            if (Port(tcp["port"], ports) is not { } port)
            {
                return null;
            }
            var copy = tcp.DeepClone().AsObject();
            copy["port"] = port;
            prober = new JsonObject { ["tcpSocket"] = GoTypes.Order(copy, "TCPSocketAction") };
        }
        else if (probe["grpc"] is JsonObject grpc)
        {
            prober = new JsonObject { ["grpc"] = GoTypes.Order(grpc.DeepClone(), "GRPCAction") };
        }
        if (prober is not null && withTimeout && probe["timeoutSeconds"] is JsonValue timeout && timeout.TryGetValue<long>(out var seconds) && seconds != 0)
        {
            prober["timeoutSeconds"] = seconds;
        }
        return prober;
    }

    /// <summary>The probe pointed at the agent: same settings, an httpGet on the status port.</summary>
    private static JsonObject Rewritten(JsonObject probe, string path, long statusPort)
    {
        var result = probe.DeepClone().AsObject();
        if (result["httpGet"] is JsonObject http)
        {
            http["path"] = path;
            http["port"] = statusPort;
            if (http["scheme"]?.ToString() == "HTTPS")
            {
                http["scheme"] = "HTTP";
            }
            return result;
        }
        result.Remove("tcpSocket");
        result.Remove("grpc");
        result["httpGet"] = new JsonObject { ["path"] = path, ["port"] = statusPort };
        return result;
    }

    private static long? Port(JsonNode? port, Dictionary<string, long> named)
    {
        if (port is JsonValue v)
        {
            if (v.TryGetValue<long>(out var number))
            {
                return number;
            }
            if (v.TryGetValue<string>(out var name))
            {
                return named.TryGetValue(name, out var resolved) ? resolved
                    : long.TryParse(name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
            }
        }
        return null;
    }

    private static Dictionary<string, long> NamedPorts(JsonObject container)
    {
        var ports = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var p in container["ports"] as JsonArray ?? [])
        {
            if (p?["name"]?.ToString() is { Length: > 0 } name && p["containerPort"] is JsonValue v && v.TryGetValue<long>(out var number))
            {
                ports[name] = number;
            }
        }
        return ports;
    }

    /// <summary>Sets the env var on the proxy, replacing one the template may have written.</summary>
    private static void SetProbersEnv(JsonObject proxy, string value)
    {
        if (proxy["env"] is not JsonArray env)
        {
            env = [];
            proxy["env"] = env;
        }
        if (NamedItems.Find(env, ProbersEnv) is { } existing)
        {
            existing["value"] = value;
            return;
        }
        env.Add((JsonNode)new JsonObject { ["name"] = ProbersEnv, ["value"] = value });
    }

}
