using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Json;
using SidecarInjector.KubernetesGo;
using SidecarInjector.Render;

namespace SidecarInjector.Merge;

/// <summary>
/// A render compiled for the direct path (<see cref="DirectPatch"/>): every piece the injection adds,
/// serialised once, so that a pod is patched by writing these bytes next to reads of its own. Compiled
/// once per render and kept with it. A render the direct path cannot reproduce exactly (a merge
/// directive, a null that deletes, a keyed list of another key, probes on an injected container the
/// rewrite would touch) compiles to <see cref="Unsupported"/>, and its pods take the merge.
/// </summary>
internal sealed class SidecarPlan
{
    /// <summary>The plan of a render the direct path does not take.</summary>
    public static SidecarPlan Unsupported { get; } = new(null!, [], [], false, false, [], [], null, null);

    private SidecarPlan(InjectedNames names, MapEntry[] labels, MapEntry[] annotations, bool hasLabels, bool hasAnnotations,
        ListField[] lists, SpecValue[] values, ProxyPlan? proxy, string? securePort)
    {
        Names = names;
        Labels = labels;
        Annotations = annotations;
        HasLabels = hasLabels;
        HasAnnotations = hasAnnotations;
        Lists = lists;
        Values = values;
        Proxy = proxy;
        SecurePort = securePort;
    }

    /// <summary>A label or annotation the render sets.</summary>
    public sealed record MapEntry(string Key, string Value)
    {
        public byte[] KeyUtf8 { get; } = Encoding.UTF8.GetBytes(Key);

        public byte[] ValueUtf8 { get; } = Encoding.UTF8.GetBytes(Value);
    }

    /// <summary>An item of a keyed list (containers, volumes…), serialised.</summary>
    public sealed record ListItem(string Name, byte[] Json, bool IsProxy);

    /// <summary>A list of the pod's spec merged by name: its items go before the pod's.</summary>
    public sealed record ListField(string Field, ListItem[] Items);

    /// <summary>Any other spec field: added when the pod has none, merged into the pod's map otherwise.</summary>
    public sealed record SpecValue(string Field, JsonNode Value);

    /// <summary>The proxy container, by property, so that env entries can be added as it is written.</summary>
    public sealed record ProxyPlan(string ListField, (string Name, byte[] Json)[] Properties, byte[][] Env, bool HasEnv);

    public InjectedNames Names { get; }

    public MapEntry[] Labels { get; }

    public MapEntry[] Annotations { get; }

    /// <summary>Whether the render has a labels map at all (then the pod's missing map is added, even empty).</summary>
    public bool HasLabels { get; }

    public bool HasAnnotations { get; }

    public ListField[] Lists { get; }

    public SpecValue[] Values { get; }

    public ProxyPlan? Proxy { get; }

    /// <summary>The proxy's ENVOY_SECURE_MERGED_METRICS_PORT, published as prometheus.istio.io/secure-port (<see cref="PrometheusMerge"/>).</summary>
    public string? SecurePort { get; }

    /// <summary>The last status made, with its revision: one reference, so a reader never pairs one revision with another's status.</summary>
    private Tuple<string, string>? _status;

    /// <summary>The sidecar.istio.io/status annotation for <paramref name="revision"/>, made once.</summary>
    public string Status(string revision)
    {
        var known = Volatile.Read(ref _status);
        if (known is not null && known.Item1 == revision)
        {
            return known.Item2;
        }
        var status = InjectionStatus.Format(Names, revision);
        Volatile.Write(ref _status, Tuple.Create(revision, status));
        return status;
    }

    /// <summary>Compiles a render; <see cref="Unsupported"/> when the direct path would not be exact.</summary>
    public static SidecarPlan Compile(RenderedFragment rendered)
    {
        var fragment = rendered.Fragment;
        if (!Plain(fragment))
        {
            return Unsupported;
        }
        MapEntry[] labels = [], annotations = [];
        bool hasLabels = false, hasAnnotations = false;
        var lists = new List<ListField>();
        var values = new List<SpecValue>();
        ProxyPlan? proxy = null;
        string? securePort = null;
        foreach (var (key, value) in fragment)
        {
            switch (key, value)
            {
                case ("metadata", JsonObject metadata):
                    foreach (var (field, map) in metadata)
                    {
                        switch (field)
                        {
                            case "labels" when Strings(map) is { } entries:
                                (labels, hasLabels) = (entries, true);
                                break;
                            // An annotation of the metrics merge's own is weighed by the merge against the pod's.
                            case "annotations" when Strings(map) is { } entries && !Array.Exists(entries, e => e.Key.StartsWith("prometheus", StringComparison.Ordinal)):
                                (annotations, hasAnnotations) = (entries, true);
                                break;
                            default:
                                return Unsupported;
                        }
                    }
                    break;
                case ("spec", JsonObject spec):
                    foreach (var (field, part) in spec)
                    {
                        var mergeKey = PodSchema.MergeKey(PodPart.Spec, field);
                        if (mergeKey is null)
                        {
                            if (part is null)
                            {
                                // A field the template deletes from the pod.
                                return Unsupported;
                            }
                            values.Add(new SpecValue(field, part));
                            continue;
                        }
                        if (mergeKey != "name" || part is not JsonArray items || KeyedItems(field, items, ref proxy, ref securePort) is not { } listItems)
                        {
                            return Unsupported;
                        }
                        lists.Add(new ListField(field, listItems));
                    }
                    break;
                default:
                    return Unsupported;
            }
        }
        return new SidecarPlan(rendered.Names, labels, annotations, hasLabels, hasAnnotations, [.. lists], [.. values], proxy, securePort);
    }

    /// <summary>
    /// No merge directive anywhere: the fragment means what it says. A null is kept where a value is added
    /// whole (a new volume's <c>emptyDir:</c>) and deletes where it is merged, which the writer checks per pod.
    /// </summary>
    private static bool Plain(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject map:
                foreach (var (key, value) in map)
                {
                    if (key.StartsWith('$') || !Plain(value))
                    {
                        return false;
                    }
                }
                return true;
            case JsonArray list:
                foreach (var item in list)
                {
                    if (!Plain(item))
                    {
                        return false;
                    }
                }
                return true;
            default:
                return true;
        }
    }

    private static MapEntry[]? Strings(JsonNode? map)
    {
        if (map is not JsonObject entries)
        {
            return null;
        }
        var result = new MapEntry[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            var (key, value) = entries.GetAt(i);
            if (value is not JsonValue v || !v.TryGetValue<string>(out var text))
            {
                return null;
            }
            result[i] = new MapEntry(key, text);
        }
        return result;
    }

    private static ListItem[]? KeyedItems(string field, JsonArray items, ref ProxyPlan? proxy, ref string? securePort)
    {
        var result = new ListItem[items.Count];
        bool containers = field is "containers" or "initContainers";
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsonObject item || item["name"] is not JsonValue n || !n.TryGetValue<string>(out var name)
                || IndexOf(result, name, i) >= 0)
            {
                return null;
            }
            bool isProxy = containers && name == ProxyEnvironment.ProxyContainerName;
            if (isProxy)
            {
                // Istio finds the proxy among the containers first; two would be ambiguous here.
                if (proxy is not null || ProxyPlanOf(field, item, ref securePort) is not { } plan)
                {
                    return null;
                }
                proxy = plan;
            }
            else if (containers)
            {
                // The probe rewrite would touch an injected container: not written as rendered.
                foreach (var rewritten in ProbeRewrite.RewritableFields)
                {
                    if (item.ContainsKey(rewritten))
                    {
                        return null;
                    }
                }
            }
            result[i] = new ListItem(name, Serialized(item), isProxy);
        }
        return result;
    }

    private static int IndexOf(ListItem[] items, string name, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (items[i].Name == name)
            {
                return i;
            }
        }
        return -1;
    }

    private static ProxyPlan? ProxyPlanOf(string field, JsonObject proxy, ref string? securePort)
    {
        var properties = new List<(string, byte[])>();
        var env = new List<byte[]>();
        bool hasEnv = false;
        foreach (var (name, value) in proxy)
        {
            if (name != "env")
            {
                properties.Add((name, Serialized(value!)));
                continue;
            }
            if (value is not JsonArray entries)
            {
                return null;
            }
            hasEnv = true;
            properties.Add((name, []));
            foreach (var entry in entries)
            {
                if (entry is not JsonObject e || e["name"] is not JsonValue n || !n.TryGetValue<string>(out var envName)
                    || envName == ProbeRewrite.ProbersEnv)
                {
                    // The probers' own entry would be rewritten in place: left to the merge.
                    return null;
                }
                if (envName == PrometheusMerge.SecurePortEnv && securePort is null && e["value"] is { } portValue)
                {
                    if (portValue is not JsonValue v || !v.TryGetValue<string>(out var port))
                    {
                        return null;
                    }
                    securePort = port.Length > 0 && port != "0" ? port : null;
                }
                env.Add(Serialized(e));
            }
        }
        return new ProxyPlan(field, [.. properties], [.. env], hasEnv);
    }

    private static byte[] Serialized(JsonNode node)
    {
        using var buffer = new PooledBufferWriter(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
