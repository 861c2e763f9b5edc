using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GoTemplates;
using SidecarInjector.Json;

namespace SidecarInjector.Render;

/// <summary>
/// What one template's render depends on, read from a pod without building the template data: the
/// pod's values at the paths of <see cref="GoTemplate.KeyReads"/> (its labels and annotations by key,
/// its containers' names and ports, the lengths of what it ranges over), the workload the pod belongs
/// to, and the per-pod inputs of the data (<see cref="RenderInputs"/>). Values, mesh config and the
/// environment are the config's, the same for every pod of it. Two pods with equal keys render the
/// same text, so a pod of a new ReplicaSet (another pod-template-hash, another image) is rendered once
/// per key, not once per pod; a key says nothing of what the template does not read.
/// </summary>
/// <remarks>
/// The key is bytes: for each path, each value found as its raw JSON (or as written, for a value built
/// in code), lengths and map keys where the path ends in <c>#</c>, and markers for what is absent,
/// each framed by a tag and a length. Equal bytes are equal values; equal values written differently
/// (an escape, spacing) are only a miss. Struct fields are looked up under every name the template
/// data answers to (as written, its JSON name, a protobuf getter's field), so whatever the data reads
/// is in the key. It rests on the template functions being pure (their result follows from their
/// arguments, the config and the injector's environment): none reads a clock or a random source; one
/// that did would have to make its templates keyless.
/// </remarks>
internal sealed class RenderKey
{
    private const byte Absent = 0;
    private const byte Value = 1;
    private const byte Length = 2;
    private const byte Keys = 3;
    private const byte NotCollection = 4;
    private const byte Text = 5;

    /// <summary>The annotations .ProxyConfig and .ProxyImage are made from (besides the config's mesh and values).</summary>
    private static readonly string[][] ProxyConfigAnnotation = [[Mesh.MeshConfig.ProxyConfigAnnotation]];
    private static readonly string[][] ProxyImageTypeAnnotation = [["sidecar.istio.io/proxyImageType"]];

    /// <summary>Data roots read from the pod's JSON, each path under metadata or spec.</summary>
    private readonly List<(string Root, string[][] Segments)> _podPaths;

    private readonly bool _workload;
    private readonly bool _namespace;
    private readonly bool _proxyConfig;
    private readonly bool _proxyImage;

    private RenderKey(List<(string Root, string[][] Segments)> podPaths, bool workload, bool ns, bool proxyConfig, bool proxyImage)
    {
        _podPaths = podPaths;
        _workload = workload;
        _namespace = ns;
        _proxyConfig = proxyConfig;
        _proxyImage = proxyImage;
    }

    /// <summary>
    /// The key of a template that reads <paramref name="reads"/>; null when it cannot be made (the template
    /// hands its whole data on, or reads a root of the data this key does not know how to read).
    /// </summary>
    public static RenderKey? For(TemplateReads reads)
    {
        if (reads.Everything)
        {
            return null;
        }
        var podPaths = new List<(string, string[][])>();
        bool workload = false, ns = false, proxyConfig = false, proxyImage = false;
        foreach (var path in reads.Paths)
        {
            var root = Getter(path[0]) ?? path[0];
            switch (root)
            {
                case "ObjectMeta" or "Spec":
                    podPaths.Add((root == "ObjectMeta" ? "metadata" : "spec", Candidates(path)));
                    // The data's metadata carries the request's namespace when the pod's leaves it out.
                    ns |= root == "ObjectMeta" && (path.Length == 1 || MayBeNamespace(path[1]));
                    break;
                case "TypeMeta" or "DeploymentMeta":
                    workload = true;
                    ns |= root == "DeploymentMeta" && (path.Length == 1 || MayBeNamespace(path[1]));
                    break;
                case "ProxyConfig":
                    proxyConfig = true;
                    break;
                case "ProxyImage" or "ProxyInitImage":
                    proxyImage = true;
                    break;
                case "ProxyUID" or "ProxyGID" or "NativeSidecars" or "Revision":
                    // Per pod, but cheap: always in the key (RenderInputs).
                    break;
                case "Values" or "MeshConfig" or "InboundTrafficPolicyMode" or "CompliancePolicy" or "EstimatedConcurrency":
                    // The config's, the same for every pod rendered with it.
                    break;
                default:
                    if (InjectionData.Fields.Contains(root))
                    {
                        return null;
                    }
                    // Not a field of the data: a zero value for every pod.
                    break;
            }
        }
        return new RenderKey(podPaths, workload, ns, proxyConfig, proxyImage);
    }

    private static bool MayBeNamespace(string segment) =>
        segment == "*" || GoStruct.JsonName(Getter(segment) ?? segment) == "namespace" || segment == "namespace";

    /// <summary>The field a protobuf getter reads (GetTracing → Tracing), or null.</summary>
    private static string? Getter(string segment) =>
        segment.Length > 3 && segment.StartsWith("Get", StringComparison.Ordinal) && char.IsUpper(segment[3]) ? segment[3..] : null;

    /// <summary>Per segment below the root, every JSON name the data may answer it with.</summary>
    private static string[][] Candidates(string[] path)
    {
        var segments = new string[path.Length - 1][];
        for (int i = 1; i < path.Length; i++)
        {
            var names = new List<string> { path[i] };
            void Add(string name)
            {
                if (!names.Contains(name))
                {
                    names.Add(name);
                }
            }
            if (path[i] is not ("*" or ReadAnalyzer.LengthSegment))
            {
                Add(GoStruct.JsonName(path[i]));
                for (var field = Getter(path[i]); field is not null; field = Getter(field))
                {
                    Add(field);
                    Add(GoStruct.JsonName(field));
                }
            }
            segments[i - 1] = [.. names];
        }
        return segments;
    }

    /// <summary>Writes the key of <paramref name="pod"/> (metadata and spec, as the template data is built from them).</summary>
    public void Write(ArrayBufferWriter<byte> key, JsonObject pod, in RenderInputs inputs, Utf8JsonWriter scratch)
    {
        WriteText(key, inputs.Revision);
        WriteLong(key, inputs.ProxyIds.Uid);
        WriteLong(key, inputs.ProxyIds.Gid);
        key.Write([inputs.NativeSidecars ? (byte)1 : (byte)0]);
        var metadata = pod["metadata"] as JsonObject;
        if (_namespace)
        {
            WriteText(key, inputs.Workload?.Namespace ?? inputs.Namespace);
            WriteValue(key, metadata?["namespace"], scratch);
        }
        if (_workload)
        {
            var (name, kind, apiVersion) = inputs.Workload is { } w ? (w.Name, w.Kind, w.ApiVersion) : InjectionData.DeploymentMeta(pod, inputs.Namespace);
            WriteText(key, name);
            WriteText(key, kind);
            WriteText(key, apiVersion);
        }
        var annotations = metadata?["annotations"];
        if (_proxyConfig)
        {
            WriteAt(key, annotations, ProxyConfigAnnotation, 0, scratch);
        }
        if (_proxyImage)
        {
            WriteAt(key, annotations, ProxyImageTypeAnnotation, 0, scratch);
        }
        foreach (var (root, segments) in _podPaths)
        {
            WriteAt(key, pod[root], segments, 0, scratch);
        }
    }

    private static void WriteAt(ArrayBufferWriter<byte> key, JsonNode? node, string[][] segments, int at, Utf8JsonWriter scratch)
    {
        if (node is not null && JsonRaw.Of(node) is { } raw)
        {
            WriteAt(key, raw, segments, at);
            return;
        }
        if (at == segments.Length)
        {
            WriteValue(key, node, scratch);
            return;
        }
        var names = segments[at];
        switch (names[0], node)
        {
            case (ReadAnalyzer.LengthSegment, JsonArray array):
                key.Write([Length]);
                WriteLong(key, array.Count);
                return;
            case (ReadAnalyzer.LengthSegment, JsonObject map):
                key.Write([Keys]);
                WriteLong(key, map.Count);
                for (int i = 0; i < map.Count; i++)
                {
                    WriteText(key, map.GetAt(i).Key);
                }
                return;
            case ("*", JsonArray items):
                key.Write([Length]);
                WriteLong(key, items.Count);
                for (int i = 0; i < items.Count; i++)
                {
                    WriteAt(key, items[i], segments, at + 1, scratch);
                }
                return;
            case ("*", JsonObject entries):
                key.Write([Keys]);
                WriteLong(key, entries.Count);
                for (int i = 0; i < entries.Count; i++)
                {
                    var (name, value) = entries.GetAt(i);
                    WriteText(key, name);
                    WriteAt(key, value, segments, at + 1, scratch);
                }
                return;
            case (_, JsonObject o):
                foreach (var name in names)
                {
                    WriteAt(key, o[name], segments, at + 1, scratch);
                }
                return;
            case (_, null):
                key.Write([Absent]);
                return;
            default:
                // A scalar where the path goes on: the value itself decides what the data holds.
                key.Write([NotCollection]);
                WriteValue(key, node, scratch);
                return;
        }
    }

    /// <summary>
    /// The same key from the pod's raw JSON (the webhook's direct path, with no tree of the pod): equal to
    /// what <see cref="Write(ArrayBufferWriter{byte}, JsonObject, in RenderInputs, Utf8JsonWriter)"/>
    /// writes for the same pod parsed, so renders kept by either path are found by both.
    /// </summary>
    /// <param name="deploymentMeta">The pod's workload (<see cref="InjectionData.DeploymentMeta(JsonElement, string)"/>), read by the caller once.</param>
    public void Write(ArrayBufferWriter<byte> key, JsonElement pod, in RenderInputs inputs, (string Name, string Kind, string ApiVersion) deploymentMeta)
    {
        WriteText(key, inputs.Revision);
        WriteLong(key, inputs.ProxyIds.Uid);
        WriteLong(key, inputs.ProxyIds.Gid);
        key.Write([inputs.NativeSidecars ? (byte)1 : (byte)0]);
        var metadata = Child(pod, "metadata");
        if (_namespace)
        {
            WriteText(key, inputs.Workload?.Namespace ?? inputs.Namespace);
            if (metadata is { ValueKind: JsonValueKind.Object } m && Child(m, "namespace") is { } ns)
            {
                WriteRaw(key, ns);
            }
            else
            {
                key.Write([Absent]);
            }
        }
        if (_workload)
        {
            var (name, kind, apiVersion) = inputs.Workload is { } w ? (w.Name, w.Kind, w.ApiVersion) : deploymentMeta;
            WriteText(key, name);
            WriteText(key, kind);
            WriteText(key, apiVersion);
        }
        JsonElement? annotations = metadata is { ValueKind: JsonValueKind.Object } meta ? Child(meta, "annotations") : null;
        if (_proxyConfig)
        {
            WriteAtElement(key, annotations, ProxyConfigAnnotation, 0);
        }
        if (_proxyImage)
        {
            WriteAtElement(key, annotations, ProxyImageTypeAnnotation, 0);
        }
        foreach (var (root, segments) in _podPaths)
        {
            WriteAtElement(key, Child(pod, root), segments, 0);
        }
    }

    /// <summary>A member of an object, null when it is absent or JSON null (the tree reads both as absent).</summary>
    private static JsonElement? Child(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var child) && child.ValueKind != JsonValueKind.Null ? child : null;

    private static void WriteAtElement(ArrayBufferWriter<byte> key, JsonElement? node, string[][] segments, int at)
    {
        if (node is { } element)
        {
            WriteAt(key, element, segments, at);
        }
        else
        {
            key.Write([Absent]);
        }
    }

    /// <summary>
    /// A raw value at the key's paths, written exactly as the tree's walk writes the same value parsed:
    /// JSON null as absent, map keys counted and unescaped.
    /// </summary>
    private static void WriteAt(ArrayBufferWriter<byte> key, JsonElement node, string[][] segments, int at)
    {
        if (node.ValueKind == JsonValueKind.Null)
        {
            key.Write([Absent]);
            return;
        }
        if (at == segments.Length)
        {
            WriteRaw(key, node);
            return;
        }
        var names = segments[at];
        switch (names[0], node.ValueKind)
        {
            case (ReadAnalyzer.LengthSegment, JsonValueKind.Array):
                key.Write([Length]);
                WriteLong(key, node.GetArrayLength());
                return;
            case (ReadAnalyzer.LengthSegment, JsonValueKind.Object):
                key.Write([Keys]);
                WriteLong(key, PropertyCount(node));
                foreach (var property in node.EnumerateObject())
                {
                    WriteName(key, property);
                }
                return;
            case ("*", JsonValueKind.Array):
                key.Write([Length]);
                WriteLong(key, node.GetArrayLength());
                foreach (var item in node.EnumerateArray())
                {
                    WriteAt(key, item, segments, at + 1);
                }
                return;
            case ("*", JsonValueKind.Object):
                key.Write([Keys]);
                WriteLong(key, PropertyCount(node));
                foreach (var property in node.EnumerateObject())
                {
                    WriteName(key, property);
                    WriteAt(key, property.Value, segments, at + 1);
                }
                return;
            case (_, JsonValueKind.Object):
                foreach (var name in names)
                {
                    WriteAtElement(key, Child(node, name), segments, at + 1);
                }
                return;
            default:
                key.Write([NotCollection]);
                WriteRaw(key, node);
                return;
        }
    }

    private static int PropertyCount(JsonElement map)
    {
        int count = 0;
        foreach (var _ in map.EnumerateObject())
        {
            count++;
        }
        return count;
    }

    /// <summary>A map key as text, as the tree holds it: its raw bytes unless they carry an escape.</summary>
    private static void WriteName(ArrayBufferWriter<byte> key, JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        if (raw.IndexOf((byte)'\\') >= 0)
        {
            WriteText(key, property.Name);
            return;
        }
        key.Write([Text]);
        WriteLong(key, raw.Length);
        key.Write(raw);
    }

    private static void WriteRaw(ArrayBufferWriter<byte> key, JsonElement element)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        key.Write([Value]);
        WriteLong(key, raw.Length);
        key.Write(raw);
    }

    private static void WriteValue(ArrayBufferWriter<byte> key, JsonNode? node, Utf8JsonWriter scratch)
    {
        if (node is null)
        {
            key.Write([Absent]);
            return;
        }
        if (node is JsonValue value && value.TryGetValue<JsonElement>(out var element))
        {
            WriteRaw(key, element);
            return;
        }
        if (JsonRaw.Of(node) is { } raw)
        {
            WriteRaw(key, raw);
            return;
        }
        // Built in code: written out, after a placeholder for its length.
        key.Write([Value]);
        var lengthAt = key.WrittenCount;
        WriteLong(key, 0);
        int before = key.WrittenCount;
        scratch.Reset(key);
        node.WriteTo(scratch);
        scratch.Flush();
        BinaryPrimitives.WriteInt64LittleEndian(MemoryMarshal.AsMemory(key.WrittenMemory).Span.Slice(lengthAt, sizeof(long)), key.WrittenCount - before);
    }

    private static void WriteText(ArrayBufferWriter<byte> key, string text)
    {
        key.Write([Text]);
        int length = Encoding.UTF8.GetByteCount(text);
        WriteLong(key, length);
        Encoding.UTF8.GetBytes(text, key.GetSpan(length));
        key.Advance(length);
    }

    private static void WriteLong(ArrayBufferWriter<byte> key, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(key.GetSpan(sizeof(long)), value);
        key.Advance(sizeof(long));
    }
}

/// <summary>The per-pod inputs of the template data besides the pod itself (<see cref="InjectionData.Build"/>'s arguments).</summary>
internal readonly record struct RenderInputs(string Namespace, string Revision, (long Uid, long Gid) ProxyIds, bool NativeSidecars, WorkloadMeta? Workload);
