using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Mesh;

/// <summary>
/// Istio's MeshConfig as proto-JSON: built-in defaults, the config directory's optional
/// <c>mesh</c> file over them, and each pod's <c>proxy.istio.io/config</c> over its defaultConfig.
/// </summary>
internal static class MeshConfig
{
    public const string ProxyConfigAnnotation = "proxy.istio.io/config";

    /// <summary>Istio's built-in defaults (pkg/config/mesh DefaultMeshConfig), the fields templates read.</summary>
    private const string DefaultsYaml = """
        enableTracing: true
        accessLogFile: ""
        accessLogEncoding: TEXT
        enablePrometheusMerge: true
        ingressService: istio-ingressgateway
        ingressControllerMode: STRICT
        ingressClass: istio
        trustDomain: cluster.local
        rootNamespace: istio-system
        enableAutoMtls: true
        outboundTrafficPolicy:
          mode: ALLOW_ANY
        inboundTrafficPolicy:
          mode: PASSTHROUGH
        defaultConfig:
          configPath: ./etc/istio/proxy
          binaryPath: /usr/local/bin/envoy
          serviceCluster: istio-proxy
          drainDuration: 45s
          terminationDrainDuration: 5s
          discoveryAddress: istiod.istio-system.svc:15012
          proxyAdminPort: 15000
          controlPlaneAuthPolicy: MUTUAL_TLS
          statNameLength: 189
          statusPort: 15020
        """;

    /// <summary>ProxyConfig fields in proto field-number order, the order protojson writes them in.</summary>
    private static readonly string[] ProxyConfigFieldOrder =
    [
        "configPath", "binaryPath", "serviceCluster", "drainDuration", "parentShutdownDuration", "discoveryAddress",
        "discoveryRefreshDelay", "zipkinAddress", "connectTimeout", "statsdUdpAddress", "proxyAdminPort", "availabilityZone",
        "controlPlaneAuthPolicy", "customConfigFile", "statNameLength", "concurrency", "proxyBootstrapTemplatePath",
        "interceptionMode", "tracing", "sds", "envoyAccessLogService", "envoyMetricsService", "envoyMetricsServiceAddress",
        "proxyMetadata", "runtimeValues", "statusPort", "extraStatTags", "gatewayTopology", "terminationDrainDuration",
        "meshId", "readinessProbe", "proxyStatsMatcher", "holdApplicationUntilProxyStarts", "caCertificatesPem", "image",
        "privateKeyProvider", "proxyHeaders", "fileFlushInterval", "fileFlushMinSizeKb",
    ];

    /// <summary>
    /// Istio's protoToJSON of a ProxyConfig: fields equal to the defaults left out (cleanProxyConfig),
    /// the rest in proto field order, as compact JSON.
    /// </summary>
    public static JsonObject CleanProxyConfig(JsonObject proxyConfig)
    {
        var defaults = DefaultProxyConfig;
        var cleaned = new JsonObject();
        var remaining = new List<string>();
        foreach (var (k, _) in proxyConfig)
        {
            remaining.Add(k);
        }
        foreach (var key in ProxyConfigFieldOrder)
        {
            if (remaining.Remove(key))
            {
                Keep(key);
            }
        }
        remaining.Sort(StringComparer.Ordinal);
        foreach (var key in remaining)
        {
            Keep(key);
        }
        return cleaned;

        void Keep(string key)
        {
            var value = proxyConfig[key];
            bool isDefault = defaults.ContainsKey(key) && JsonNode.DeepEquals(Normalize(value), Normalize(defaults[key]));
            // An enum at its zero value is not written by protojson.
            bool isZeroEnum = key == "interceptionMode" && value?.ToString() == "REDIRECT";
            bool isEmptyMap = key == "proxyMetadata" && value is JsonObject { Count: 0 };
            if (!isDefault && !isZeroEnum && !isEmptyMap && value is not null)
            {
                cleaned[key] = value.DeepClone();
            }
        }
    }

    private static JsonNode? Normalize(JsonNode? node) => node is null ? null : JsonNode.Parse(node.ToJsonString());

    private static readonly JsonObject Defaults = (JsonObject)YamlDocument.Parse(DefaultsYaml, "built-in mesh defaults")!;

    /// <summary>Istio's DefaultProxyConfig: protoToJSON leaves out fields equal to these.</summary>
    public static JsonObject DefaultProxyConfig => (JsonObject)Defaults["defaultConfig"]!;

    /// <summary>The mesh file applied over <paramref name="defaults"/> (Istio's ApplyMeshConfig rules).</summary>
    public static JsonObject Apply(JsonObject? defaults, JsonObject? overlay)
    {
        var mesh = (defaults ?? Defaults).DeepClone().AsObject();
        if (overlay is null)
        {
            return mesh;
        }
        foreach (var (key, value) in overlay)
        {
            if (key == "defaultConfig" && value is JsonObject proxy)
            {
                mesh["defaultConfig"] = ApplyProxyConfig(mesh["defaultConfig"] as JsonObject, proxy);
            }
            else if (key == "extensionProviders" && value is JsonArray providers && mesh[key] is JsonArray existing)
            {
                // Providers merge by name: the same name replaces, new names are appended.
                var merged = existing.DeepClone().AsArray();
                foreach (var provider in providers)
                {
                    var name = provider?["name"]?.GetValue<string>();
                    int at = -1;
                    for (int i = 0; i < merged.Count; i++)
                    {
                        if (merged[i]?["name"]?.GetValue<string>() == name)
                        {
                            at = i;
                        }
                    }
                    if (at >= 0)
                    {
                        merged[at] = provider?.DeepClone();
                    }
                    else
                    {
                        merged.Add(provider?.DeepClone());
                    }
                }
                mesh[key] = merged;
            }
            else
            {
                mesh[key] = value?.DeepClone();
            }
        }
        return mesh;
    }

    /// <summary>ProxyConfig fields one by one; proxyMetadata key by key.</summary>
    public static JsonObject ApplyProxyConfig(JsonObject? baseConfig, JsonObject overlay)
    {
        var result = baseConfig?.DeepClone().AsObject() ?? [];
        foreach (var (key, value) in overlay)
        {
            if (key == "proxyMetadata" && value is JsonObject metadata && result[key] is JsonObject existing)
            {
                foreach (var (k, v) in metadata)
                {
                    existing[k] = v?.DeepClone();
                }
            }
            else
            {
                result[key] = value?.DeepClone();
            }
        }
        return result;
    }

    /// <summary>The proxy config a pod gets: mesh defaultConfig, then its proxy.istio.io/config annotation.</summary>
    public static JsonObject ForPod(JsonObject mesh, string? annotation)
    {
        var proxy = mesh["defaultConfig"] as JsonObject ?? [];
        JsonObject result;
        if (string.IsNullOrWhiteSpace(annotation))
        {
            result = proxy.DeepClone().AsObject();
        }
        else if (YamlDocument.Parse(annotation, ProxyConfigAnnotation) is JsonObject overlay)
        {
            result = ApplyProxyConfig(proxy, overlay);
        }
        else
        {
            throw new InjectionException($"annotation {ProxyConfigAnnotation} must be a ProxyConfig mapping");
        }
        // Proto enums read as their name even when unset: InterceptionMode's zero value is REDIRECT.
        result["interceptionMode"] ??= "REDIRECT";
        return result;
    }

    /// <summary>The proxy config of a pod, from its proxy.istio.io/config annotation over the mesh defaults.</summary>
    public static JsonObject ForPod(JsonObject mesh, JsonObject pod) =>
        ForPod(mesh, pod["metadata"]?["annotations"]?[ProxyConfigAnnotation]?.GetValue<string>());
}
