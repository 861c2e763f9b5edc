using System.Text.Json;
using System.Text.Json.Nodes;
using GoTemplates;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Render;

/// <summary>
/// Istio's own template functions (pkg/kube/inject/template.go). Registered after sprig, so that,
/// as in Istio, they win over sprig's functions of the same name (indent, contains, toYaml…).
/// </summary>
internal static class IstioFunctions
{
    public static FunctionTable AddTo(FunctionTable table, Func<string, string?> environment) => table
        .Add("isset", 2, 2, a => a[0] is GoMap m && m.Entries.ContainsKey(Builtins.Str(a[1])))
        .Add("annotation", 3, 3, Annotation)
        .Add("valueOrDefault", 2, 2, a => a[0] is null or NoValue or ZeroValue || a[0] is string { Length: 0 } ? a[1] : a[0])
        .Add("excludeInboundPort", 2, 2, a => ExcludeInboundPort(a[0], SprigFunctions.StrVal(a[1])))
        .Add("includeInboundPorts", 1, 1, a => ContainerPorts(a[0], _ => true))
        .Add("applicationPorts", 1, 1, a => ContainerPorts(a[0], c => !Equals(c.Field("Name"), "istio-proxy")))
        .Add("kubevirtInterfaces", 1, 1, a => SprigFunctions.StrVal(a[0]))
        .Add("toJSON", 1, 1, a => a[0] is null or NoValue or ZeroValue ? "{}" : Json(a[0]))
        .Add("toJson", 1, 1, a => a[0] is null or NoValue or ZeroValue ? "{}" : Json(a[0]))
        .Add("fromJSON", 1, 1, a => FromJson(SprigFunctions.StrVal(a[0])))
        .Add("structToJSON", 1, 1, a => a[0] is null or NoValue ? "{}" : Json(a[0]))
        .Add("protoToJSON", 1, 1, ProtoToJson)
        .Add("toYaml", 1, 1, a => a[0] is GoMap map ? map.Derived(MapYaml) : Yaml(a[0]))
        .Add("indent", 2, 2, a => Indent(SprigFunctions.Int(a[0]), SprigFunctions.StrVal(a[1])))
        .Add("directory", 1, 1, a => Directory(SprigFunctions.StrVal(a[0])))
        .Add("contains", 2, 2, a => SprigFunctions.StrVal(a[1]).Contains(SprigFunctions.StrVal(a[0]), StringComparison.Ordinal))
        .Add("toLower", 1, 1, a => SprigFunctions.StrVal(a[0]).ToLowerInvariant())
        .Add("appendMultusNetwork", 2, 2, a => AppendMultusNetwork(SprigFunctions.StrVal(a[0]), SprigFunctions.StrVal(a[1])))
        .Add("env", 2, 2, a => environment(SprigFunctions.StrVal(a[0])) is { Length: > 0 } value ? value : SprigFunctions.StrVal(a[1]))
        .Add("formatDuration", 1, 1, a => SprigFunctions.StrVal(a[0]))
        .Add("omit", 1, -1, Omit)
        .Add("strdict", 0, -1, StrDict)
        .Add("toJsonMap", 0, -1, a => Merge(a, stringValues: false))
        .Add("mergeMaps", 0, -1, a => Merge(a, stringValues: false))
        .Add("omitNil", 1, 1, a => OmitNil(a[0]))
        .Add("otelResourceAttributes", 5, 5, a => OtelResourceAttributes.Compute(a[0], a[1], a[2], SprigFunctions.StrVal(a[3]), a[4]))
        // What these read of the pod, so that pods differing elsewhere (a token volume's name) share a render.
        .DeclareReads("isset", new ArgumentRead(0, "$1"))
        .DeclareReads("annotation", new ArgumentRead(0, "Annotations", "$1"))
        .DeclareReads("includeInboundPorts", new ArgumentRead(0, "*", "Ports"))
        .DeclareReads("applicationPorts", new ArgumentRead(0, "*", "Ports"), new ArgumentRead(0, "*", "Name"))
        .DeclareReads("otelResourceAttributes", new ArgumentRead(0), new ArgumentRead(3), new ArgumentRead(4, "*", "Image"), new ArgumentRead(4, "*", "Name"),
            new ArgumentRead(1, OtelResourceAttributes.AnnotationPrefix + "service.namespace"),
            new ArgumentRead(1, OtelResourceAttributes.AnnotationPrefix + "service.version"),
            new ArgumentRead(1, OtelResourceAttributes.AnnotationPrefix + "service.instance.id"),
            new ArgumentRead(2, "app.kubernetes.io/version"));

    private static string Annotation(object?[] a)
    {
        var name = SprigFunctions.StrVal(a[1]);
        var annotations = a[0] switch
        {
            GoStruct meta => meta.Field("Annotations"),
            GoMap map => map.Entries.GetValueOrDefault("annotations"),
            _ => null,
        };
        if (annotations is GoMap m && m.Entries.TryGetValue(name, out var value))
        {
            return SprigFunctions.StrVal(value);
        }
        return GoValues.Print(a[2] is ZeroValue ? "" : a[2]);
    }

    /// <summary>The last message protoToJSON wrote, and its text (template data is never changed once built).</summary>
    private static volatile Tuple<object, string>? s_lastProto;

    /// <summary>
    /// The ProxyConfig without its default fields (cleanProxyConfig), as protojson writes it. Most
    /// pods pass the same message (the mesh's default ProxyConfig, built once per config version),
    /// so the text of the last one is kept and reused while the same object comes.
    /// </summary>
    private static string ProtoToJson(object?[] a)
    {
        if (a[0] is null or NoValue or ZeroValue)
        {
            return "{}";
        }
        if (s_lastProto is { } last && ReferenceEquals(last.Item1, a[0]))
        {
            return last.Item2;
        }
        var text = GoValues.ToJson(a[0]) is JsonObject message ? Mesh.MeshConfig.CleanProxyConfig(message).ToJsonString(CompactJson) : "{}";
        s_lastProto = Tuple.Create(a[0]!, text);
        return text;
    }

    private static string ExcludeInboundPort(object? port, string excluded)
    {
        var portText = GoValues.Print(port is ZeroValue ? "" : port).Trim();
        if (portText.Length == 0 || portText == "0")
        {
            return excluded;
        }
        var kept = new List<string>();
        foreach (var p in excluded.Split(','))
        {
            if (p == portText)
            {
                return excluded;
            }
            var trimmed = p.Trim();
            if (trimmed.Length > 0)
            {
                kept.Add(trimmed);
            }
        }
        kept.Add(portText);
        return string.Join(",", kept);
    }

    private static string ContainerPorts(object? containers, Func<GoStruct, bool> include)
    {
        var parts = new List<string>();
        foreach (var item in SprigFunctions.ListOf(containers is ZeroValue ? null : containers))
        {
            if (item is not GoStruct c || !include(c))
            {
                continue;
            }
            foreach (var port in SprigFunctions.ListOf(c.Field("Ports") is ZeroValue ? null : c.Field("Ports")))
            {
                if (port is GoStruct p && p.Field("Protocol") is not ("UDP" or "SCTP"))
                {
                    parts.Add(GoValues.Print(p.Field("ContainerPort")));
                }
            }
        }
        return string.Join(",", parts);
    }

    /// <summary>json.Marshal of the value: map keys sorted, as Go's encoder writes them.</summary>
    private static string Json(object? value) => GoJson.Serialize(GoValues.ToJson(value));

    private static readonly JsonSerializerOptions CompactJson = new()
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>toYaml of a map: one delegate, so that the map keeps the text it made (<see cref="GoMap.Derived"/>).</summary>
    private static readonly Func<GoMap, string> MapYaml = Yaml;

    private static string Yaml(object? value) => GoYaml.Emit(GoValues.ToJson(value));

    private static object? FromJson(string text)
    {
        try
        {
            return GoValues.FromJson(JsonNode.Parse(text));
        }
        catch (JsonException)
        {
            return "{}";
        }
    }

    /// <summary>Istio's indent: every line but the first gets the padding.</summary>
    private static string Indent(int spaces, string source) =>
        SprigFunctions.Indented(source, SprigFunctions.IndentWidth(spaces, source), padFirstLine: false, leadingNewline: false);

    private static string Directory(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..(slash + 1)];
    }

    private static string AppendMultusNetwork(string existing, string network)
    {
        if (existing.Length == 0)
        {
            return network;
        }
        int close = existing.LastIndexOf(']');
        if (close >= 0)
        {
            try
            {
                if (JsonNode.Parse(existing) is JsonArray networks)
                {
                    // "namespace/name" names a network in another namespace (Kubernetes' SplitQualifiedName).
                    int slash = network.IndexOf('/', StringComparison.Ordinal);
                    var (networkNamespace, networkName) = slash < 0 ? ("", network) : (network[..slash], network[(slash + 1)..]);
                    foreach (var n in networks)
                    {
                        if (n?["name"]?.GetValue<string>() == networkName
                            && (n["namespace"]?.GetValue<string>() ?? "") == networkNamespace)
                        {
                            return existing;
                        }
                    }
                    var entry = networkNamespace.Length == 0
                        ? $", {{\"name\": \"{networkName}\"}}"
                        : $", {{\"name\": \"{networkName}\", \"namespace\": \"{networkNamespace}\"}}";
                    return existing[..close] + entry + existing[close..];
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                return existing;
            }
            return existing;
        }
        foreach (var n in existing.Split(','))
        {
            if (n.Trim() == network)
            {
                return existing;
            }
        }
        return existing + ", " + network;
    }

    private static GoMap Omit(object?[] a)
    {
        var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (a[0] is GoMap map)
        {
            foreach (var (k, v) in map.Entries)
            {
                entries[k] = v;
            }
        }
        for (int i = 1; i < a.Length; i++)
        {
            entries.Remove(SprigFunctions.StrVal(a[i]));
        }
        return new GoMap(entries, NoValue.Instance);
    }

    private static GoMap StrDict(object?[] a)
    {
        var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < a.Length; i += 2)
        {
            entries[SprigFunctions.StrVal(a[i])] = SprigFunctions.StrVal(a[i + 1]);
        }
        return new GoMap(entries, "");
    }

    private static GoMap Merge(object?[] maps, bool stringValues)
    {
        var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var m in maps)
        {
            if (m is GoMap map)
            {
                foreach (var (k, v) in map.Entries)
                {
                    entries[k] = stringValues ? SprigFunctions.StrVal(v) : v;
                }
            }
        }
        return new GoMap(entries, NoValue.Instance);
    }

    private static object? OmitNil(object? value)
    {
        switch (value)
        {
            case GoMap map:
                var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in map.Entries)
                {
                    if (v is not (null or NoValue))
                    {
                        entries[k] = OmitNil(v);
                    }
                }
                return new GoMap(entries, map.Missing);
            case List<object?> list:
                var result = new List<object?>();
                foreach (var item in list)
                {
                    if (item is not (null or NoValue))
                    {
                        result.Add(OmitNil(item));
                    }
                }
                return result;
            default:
                return value;
        }
    }

    /// <summary>Every function an injection template can call: builtins, then sprig, then Istio's.</summary>
    public static FunctionTable InjectionFunctions(Func<string, string?> environment) =>
        AddTo(SprigFunctions.AddTo(Builtins.AddTo(new FunctionTable())), environment);
}
