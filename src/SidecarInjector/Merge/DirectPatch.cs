using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Render;

namespace SidecarInjector.Merge;

/// <summary>
/// The injection's patch written straight from the pod's bytes and a compiled render
/// (<see cref="SidecarPlan"/>): no tree of the pod, no merge, no diff. It covers the pod most clusters
/// send, a first injection of a pod that asks for nothing unusual, and writes the operations whose
/// result is the pod <see cref="PodInjector"/> would make: labels and annotations set, the template's
/// list items put before the pod's and ordered as Istio's reorderPod does, app probes pointed at the
/// agent, the pod's scrape annotations moved into the proxy's env. Anything else (a previous injection,
/// the pod's own proxy or a volume of the template's name, a proxy-config, probe-rewrite, status-port,
/// scrape-targets, secure-port or merge-metrics annotation, a value this writer would have to merge
/// into) makes it give up before the caller's buffer is used, and the pod takes the merge, which stays
/// the reference (the differential tests hold the two equal).
/// </summary>
internal sealed class DirectPatch
{
    /// <summary>Annotations whose meaning the merge weighs per pod: a pod with any takes the merge.</summary>
    private static readonly byte[][] MergedAnnotationKeys =
    [
        "sidecar.istio.io/status"u8.ToArray(), "proxy.istio.io/config"u8.ToArray(), "proxy.istio.io/overrides"u8.ToArray(),
        "inject.istio.io/templates"u8.ToArray(), "sidecar.istio.io/rewriteAppHTTPProbers"u8.ToArray(), "status.sidecar.istio.io/port"u8.ToArray(),
    ];

    /// <summary>Every annotation the metrics merge reads starts so (its keys are compared sanitised, letters as they are).</summary>
    /// <remarks>prometheus.io/scrape, path and port (in any spelling that sanitises alike) are moved here as the merge moves them.</remarks>
    private static ReadOnlySpan<byte> MetricsAnnotationPrefix => "prometheus"u8;

    private static ReadOnlySpan<byte> NetworkLabel => "topology.istio.io/network"u8;

    /// <summary>Names Istio's reorderPod moves, and the proxy: a pod's own container of one of them takes the merge.</summary>
    private static readonly string[] OrderedNames = [ProxyEnvironment.ProxyContainerName, "istio-init", "istio-validation", "enable-core-dump"];

    /// <summary>Container names longer than this (Kubernetes allows 63) take the merge: probe paths are built on the stack.</summary>
    private const int MaxNameBytes = 256;

    [ThreadStatic]
    private static DirectPatch? t_instance;

    private readonly List<byte> _path = new(128);
    private readonly List<int> _order = [];
    private readonly List<KeyValuePair<string, string>> _annotations = [];
    private readonly DirectProbes _probes = new();

    /// <summary>The pod's scrape annotations as the merge finds them (<see cref="ReadMetadata"/>), and what it makes of them (<see cref="ReadMetrics"/>).</summary>
    private string? _scrape, _scrapePath, _scrapePort;
    private bool _mergeMetrics;
    private string? _metricsEnv;
    private Utf8JsonWriter _writer = null!;
    private int _operations;

    /// <summary>
    /// Writes the patch of <paramref name="pod"/> into <paramref name="writer"/> and returns the number of
    /// operations; null when this pod takes the merge (then nothing was written): its metadata asks for
    /// what only the merge does, its sidecar's render is not known by key (<see cref="SidecarTemplate.CompiledByKey"/>),
    /// or the render is not one this writer reproduces. The pod's field types have been checked and a
    /// sidecar was decided; <paramref name="settings"/> has a template.
    /// </summary>
    public static int? TryWrite(JsonElement pod, DirectSettings settings, in RenderInputs inputs, Utf8JsonWriter writer)
    {
        var instance = t_instance ??= new DirectPatch();
        try
        {
            if (!instance.ReadMetadata(pod))
            {
                return null;
            }
            var plan = settings.Template!.CompiledByKey(pod, inputs, InjectionData.DeploymentMeta(pod, inputs.Namespace), SidecarPlan.Compile);
            return plan is null || ReferenceEquals(plan, SidecarPlan.Unsupported)
                ? null
                : instance.Write(pod, plan, settings, inputs.Revision, writer);
        }
        finally
        {
            instance._probes.Clear();
            instance._annotations.Clear();
            instance._writer = null!;
        }
    }

    /// <summary>
    /// Whether the pod's metadata lets the direct path answer it: maps of strings, no annotation the merge
    /// weighs, every validated annotation valid (an invalid one is the merge's to refuse, in its words).
    /// Notes the pod's scrape annotations on the way, the first of each name, as the metrics merge finds them.
    /// </summary>
    private bool ReadMetadata(JsonElement pod)
    {
        _scrape = _scrapePath = _scrapePort = null;
        if (!pod.TryGetProperty("metadata"u8, out var metadata) || metadata.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        if (metadata.TryGetProperty("labels"u8, out var labels))
        {
            if (labels.ValueKind != JsonValueKind.Object || labels.TryGetProperty(NetworkLabel, out _) || !AllStrings(labels))
            {
                return false;
            }
        }
        if (!metadata.TryGetProperty("annotations"u8, out var annotations))
        {
            return true;
        }
        if (annotations.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        Span<char> name = stackalloc char[320];
        foreach (var annotation in annotations.EnumerateObject())
        {
            if (annotation.Value.ValueKind != JsonValueKind.String)
            {
                return false;
            }
            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(annotation);
            if (raw.IndexOf((byte)'\\') >= 0 || raw.Length > name.Length)
            {
                return false;
            }
            foreach (var key in MergedAnnotationKeys)
            {
                if (raw.SequenceEqual(key))
                {
                    return false;
                }
            }
            int length = Encoding.UTF8.GetChars(raw, name);
            if (raw.StartsWith(MetricsAnnotationPrefix) && !NoteMetrics(name[..length], annotation.Value))
            {
                return false;
            }
            if (AnnotationValidation.HasRule(name[..length]) && AnnotationValidation.Invalid(annotation.Name, annotation.Value.GetString()!))
            {
                return false;
            }
        }
        return true;
    }

    private static bool AllStrings(JsonElement map)
    {
        foreach (var entry in map.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                return false;
            }
        }
        return true;
    }

    private int? Write(JsonElement pod, SidecarPlan plan, DirectSettings settings, string revision, Utf8JsonWriter writer)
    {
        var metadata = pod.GetProperty("metadata"u8);
        if (!pod.TryGetProperty("spec"u8, out var spec) || spec.ValueKind != JsonValueKind.Object || !ListsFit(spec, plan))
        {
            return null;
        }
        if (!ReadMetrics(settings, plan))
        {
            return null;
        }
        string? probers = settings.RewritesProbes && settings.StatusPort > 0 && plan.Proxy is not null ? _probes.Read(spec, settings.StatusPort) : null;
        if (!ValuesFit(spec, plan))
        {
            return null;
        }

        _writer = writer;
        _operations = 0;
        writer.WriteStartArray();
        if (plan.HasLabels)
        {
            WriteMap(metadata, "labels"u8, plan.Labels);
        }
        WriteAnnotations(metadata, plan, settings, revision);
        foreach (var (field, index, container, rewritten) in _probes.Containers)
        {
            var fields = ProbeRewrite.RewritableFields;
            for (int i = 0; i < fields.Length; i++)
            {
                if ((rewritten & (1 << i)) != 0)
                {
                    StartOperation("replace"u8, "/spec/"u8, field, index, fields[i]);
                    DirectProbes.WriteRewritten(writer, container, i, settings.StatusPort);
                    writer.WriteEndObject();
                }
            }
        }
        foreach (var value in plan.Values)
        {
            WriteSpecValue(spec, value.Field, value.Value);
        }
        foreach (var list in plan.Lists)
        {
            WriteList(spec, list, plan, settings, probers);
        }
        writer.WriteEndArray();
        writer.Flush();
        return _operations;
    }

    /// <summary>A scrape annotation noted (the first of its name); false for one the merge weighs itself (targets, the secure port, merge-metrics).</summary>
    private bool NoteMetrics(ReadOnlySpan<char> key, JsonElement value)
    {
        if (PrometheusMerge.ReadsOtherwise(key))
        {
            return false;
        }
        switch (PrometheusMerge.MovedAs(key))
        {
            case "prometheus_io_scrape":
                _scrape ??= value.GetString();
                break;
            case "prometheus_io_path":
                _scrapePath ??= value.GetString();
                break;
            case "prometheus_io_port":
                _scrapePort ??= value.GetString();
                break;
        }
        return true;
    }

    /// <summary>
    /// The metrics merge (<see cref="PrometheusMerge"/>) for a pod without scrape targets: whether it merges,
    /// and the proxy's ISTIO_PROMETHEUS_ANNOTATIONS. False when the merge would refuse the pod's port.
    /// </summary>
    private bool ReadMetrics(DirectSettings settings, SidecarPlan plan)
    {
        _metricsEnv = null;
        bool scrapes = _scrape is null || !KubernetesGo.GoStrconv.TryParseBool(_scrape, out bool scrape) || scrape;
        _mergeMetrics = settings.MergesMetrics && scrapes && _scrapePort != settings.AgentPort;
        if (!_mergeMetrics)
        {
            return true;
        }
        if (_scrapePort is { Length: > 0 } port && PrometheusMerge.RefusesPort(port, settings.AgentPort))
        {
            return false;
        }
        if (plan.Proxy is not null && (_scrape ?? "").Length + (_scrapePath ?? "").Length + (_scrapePort ?? "").Length > 0)
        {
            _metricsEnv = PrometheusMerge.AnnotationsEnv(_scrape ?? "", _scrapePath ?? "", _scrapePort ?? "");
        }
        return true;
    }

    /// <summary>The pod's keyed lists have items with names, none the template's, none Istio moves.</summary>
    private static bool ListsFit(JsonElement spec, SidecarPlan plan)
    {
        foreach (var list in plan.Lists)
        {
            if (!spec.TryGetProperty(list.Field, out var items))
            {
                continue;
            }
            if (items.ValueKind != JsonValueKind.Array)
            {
                return false;
            }
            bool containers = list.Field is "containers" or "initContainers";
            foreach (var item in items.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String
                    || Named(list.Items, name) || containers && ReorderedName(name))
                {
                    return false;
                }
            }
        }
        // A container the template injects into one list may be the pod's own in the other (Istio looks in both).
        foreach (var field in (ReadOnlySpan<string>)["containers", "initContainers"])
        {
            if (spec.TryGetProperty(field, out var items) && items.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in items.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String
                        || System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(name).Length > MaxNameBytes
                        || ReorderedName(name) || InjectedContainer(plan, name))
                    {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private static bool Named(SidecarPlan.ListItem[] items, JsonElement name)
    {
        foreach (var item in items)
        {
            if (name.ValueEquals(item.Name))
            {
                return true;
            }
        }
        return false;
    }

    private static bool ReorderedName(JsonElement name)
    {
        foreach (var ordered in OrderedNames)
        {
            if (name.ValueEquals(ordered))
            {
                return true;
            }
        }
        return false;
    }

    private static bool InjectedContainer(SidecarPlan plan, JsonElement name)
    {
        foreach (var list in plan.Lists)
        {
            if (list.Field is "containers" or "initContainers" && Named(list.Items, name))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The template's other spec fields: added where the pod has none, else merged value by value into maps.</summary>
    private static bool ValuesFit(JsonElement spec, SidecarPlan plan)
    {
        foreach (var value in plan.Values)
        {
            if (spec.TryGetProperty(value.Field, out var existing) && !Fits(existing, value.Value))
            {
                return false;
            }
        }
        return true;

        static bool Fits(JsonElement existing, JsonNode? value)
        {
            switch (value)
            {
                case null:
                    // Merged into the pod's map, a null deletes: the merge's to do.
                    return false;
                case JsonObject map:
                    if (existing.ValueKind != JsonValueKind.Object)
                    {
                        return false;
                    }
                    foreach (var (key, child) in map)
                    {
                        if (child is null || existing.TryGetProperty(key, out var inner) && !Fits(inner, child))
                        {
                            return false;
                        }
                    }
                    return true;
                case JsonArray:
                    return existing.ValueKind == JsonValueKind.Array;
                default:
                    // A scalar replaces a scalar; numbers only when written alike (1 and 1.0 would differ in text, not in value).
                    return existing.ValueKind is JsonValueKind.String or JsonValueKind.True or JsonValueKind.False
                        || existing.ValueKind == JsonValueKind.Number && value.GetValueKind() == JsonValueKind.Number
                            && Encoding.UTF8.GetBytes(value.ToJsonString()).AsSpan().SequenceEqual(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(existing));
            }
        }
    }

    private void WriteSpecValue(JsonElement spec, string field, JsonNode value)
    {
        _path.Clear();
        Append("/spec"u8);
        WriteValueAt(spec, field, value);
    }

    private void WriteValueAt(JsonElement parent, string field, JsonNode value)
    {
        int mark = _path.Count;
        _path.Add((byte)'/');
        AppendEscaped(field);
        if (!parent.TryGetProperty(field, out var existing))
        {
            WriteOperationStart("add"u8);
            value.WriteTo(_writer);
            _writer.WriteEndObject();
        }
        else if (value is JsonObject map)
        {
            foreach (var (key, child) in map)
            {
                WriteValueAt(existing, key, child!);
            }
        }
        else if (!SameScalar(existing, value))
        {
            WriteOperationStart("replace"u8);
            value.WriteTo(_writer);
            _writer.WriteEndObject();
        }
        _path.RemoveRange(mark, _path.Count - mark);
    }

    /// <summary>Equal scalars (numbers were checked equal in text by <see cref="ValuesFit"/>); a list is always replaced.</summary>
    private static bool SameScalar(JsonElement existing, JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.String => existing.ValueKind == JsonValueKind.String && existing.ValueEquals(value.GetValue<string>()),
        JsonValueKind.True or JsonValueKind.False => existing.ValueKind == value.GetValueKind(),
        JsonValueKind.Number => existing.ValueKind == JsonValueKind.Number,
        _ => false,
    };

    /// <summary>Labels (or any map of strings) set to the template's: added, replaced where they differ.</summary>
    private void WriteMap(JsonElement metadata, ReadOnlySpan<byte> field, SidecarPlan.MapEntry[] entries)
    {
        _path.Clear();
        Append("/metadata/"u8);
        Append(field);
        if (!metadata.TryGetProperty(field, out var existing))
        {
            WriteOperationStart("add"u8);
            _writer.WriteStartObject();
            foreach (var entry in entries)
            {
                _writer.WriteString(entry.KeyUtf8, entry.ValueUtf8);
            }
            _writer.WriteEndObject();
            _writer.WriteEndObject();
            return;
        }
        int mark = _path.Count;
        foreach (var entry in entries)
        {
            bool present = existing.TryGetProperty(entry.KeyUtf8, out var current);
            if (present && current.ValueEquals(entry.ValueUtf8))
            {
                continue;
            }
            _path.Add((byte)'/');
            AppendEscaped(entry.KeyUtf8);
            WriteOperationStart(present ? "replace"u8 : "add"u8);
            _writer.WriteStringValue(entry.ValueUtf8);
            _writer.WriteEndObject();
            _path.RemoveRange(mark, _path.Count - mark);
        }
    }

    /// <summary>
    /// The annotations in the merge's order, a later one replacing an earlier: the template's, the
    /// metrics merge's, the secure port, the status, the config's injectedAnnotations.
    /// </summary>
    private void WriteAnnotations(JsonElement metadata, SidecarPlan plan, DirectSettings settings, string revision)
    {
        foreach (var entry in plan.Annotations)
        {
            SetAnnotation(entry.Key, entry.Value);
        }
        if (_mergeMetrics)
        {
            foreach (var (key, value) in settings.MetricsAnnotations)
            {
                SetAnnotation(key, value);
            }
        }
        if (plan.SecurePort is { } securePort)
        {
            SetAnnotation(PrometheusMerge.SecurePortAnnotation, securePort);
        }
        SetAnnotation(InjectionStatus.AnnotationKey, plan.Status(revision));
        foreach (var (key, value) in settings.InjectedAnnotations)
        {
            SetAnnotation(key, value);
        }

        _path.Clear();
        Append("/metadata/annotations"u8);
        if (!metadata.TryGetProperty("annotations"u8, out var existing))
        {
            WriteOperationStart("add"u8);
            _writer.WriteStartObject();
            foreach (var (key, value) in _annotations)
            {
                _writer.WriteString(key, value);
            }
            _writer.WriteEndObject();
            _writer.WriteEndObject();
            return;
        }
        int mark = _path.Count;
        if (_mergeMetrics && (_scrape ?? _scrapePath ?? _scrapePort) is not null)
        {
            RemoveMovedMetrics(existing, mark);
        }
        foreach (var (key, value) in _annotations)
        {
            bool present = existing.TryGetProperty(key, out var current);
            if (present && current.ValueEquals(value))
            {
                continue;
            }
            _path.Add((byte)'/');
            AppendEscaped(key);
            WriteOperationStart(present ? "replace"u8 : "add"u8);
            _writer.WriteStringValue(value);
            _writer.WriteEndObject();
            _path.RemoveRange(mark, _path.Count - mark);
        }
    }

    /// <summary>The pod's scrape annotations the merge moves into the proxy's env, other than the ones it sets again.</summary>
    private void RemoveMovedMetrics(JsonElement annotations, int mark)
    {
        Span<char> name = stackalloc char[320];
        foreach (var annotation in annotations.EnumerateObject())
        {
            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(annotation);
            if (!raw.StartsWith(MetricsAnnotationPrefix))
            {
                continue;
            }
            var key = name[..Encoding.UTF8.GetChars(raw, name)];
            if (PrometheusMerge.MovedAs(key) is null || Set(key))
            {
                continue;
            }
            _path.Add((byte)'/');
            AppendEscaped(raw);
            _operations++;
            _writer.WriteStartObject();
            _writer.WriteString("op"u8, "remove"u8);
            _writer.WriteString("path"u8, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_path));
            _writer.WriteEndObject();
            _path.RemoveRange(mark, _path.Count - mark);
        }

        bool Set(ReadOnlySpan<char> key)
        {
            foreach (var (set, _) in _annotations)
            {
                if (key.SequenceEqual(set))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private void SetAnnotation(string key, string value)
    {
        for (int i = 0; i < _annotations.Count; i++)
        {
            if (_annotations[i].Key == key)
            {
                _annotations[i] = new(key, value);
                return;
            }
        }
        _annotations.Add(new(key, value));
    }

    /// <summary>
    /// A keyed list: the template's items go before the pod's (Kubernetes' merge of new keys), then
    /// Istio's reorderPod moves the proxy and the init containers. The pod's items keep their order,
    /// so the template's are inserted, ascending.
    /// </summary>
    private void WriteList(JsonElement spec, SidecarPlan.ListField list, SidecarPlan plan, DirectSettings settings, string? probers)
    {
        var items = list.Items;
        bool present = spec.TryGetProperty(list.Field, out var existing);
        int podCount = present ? existing.GetArrayLength() : 0;
        _order.Clear();
        for (int i = 0; i < items.Length + podCount; i++)
        {
            _order.Add(i);
        }
        if (list.Field == "containers")
        {
            Move(items, ProxyEnvironment.ProxyContainerName, first: settings.HoldsApplication);
        }
        else if (list.Field == "initContainers")
        {
            if (Index(items, ProxyEnvironment.ProxyContainerName) >= 0)
            {
                Move(items, "enable-core-dump", first: true);
                Move(items, ProxyEnvironment.ProxyContainerName, first: true);
                Move(items, "istio-validation", first: true);
                Move(items, "istio-init", first: true);
            }
            else
            {
                Move(items, "istio-validation", first: true);
                Move(items, "istio-init", first: false);
                Move(items, "enable-core-dump", first: false);
            }
        }

        if (!present)
        {
            _path.Clear();
            Append("/spec"u8);
            Push(list.Field);
            WriteOperationStart("add"u8);
            _writer.WriteStartArray();
            foreach (int item in _order)
            {
                WriteItem(items[item], plan, probers);
            }
            _writer.WriteEndArray();
            _writer.WriteEndObject();
            return;
        }
        for (int position = 0; position < _order.Count; position++)
        {
            if (_order[position] < items.Length)
            {
                StartOperation("add"u8, "/spec/"u8, list.Field, position, null);
                WriteItem(items[_order[position]], plan, probers);
                _writer.WriteEndObject();
            }
        }
    }

    private static int Index(SidecarPlan.ListItem[] items, string name)
    {
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i].Name == name)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>ContainerOrder's move of the template's item <paramref name="name"/> (pod items have none of its names).</summary>
    private void Move(SidecarPlan.ListItem[] items, string name, bool first)
    {
        int item = Index(items, name);
        if (item < 0)
        {
            return;
        }
        _order.Remove(item);
        if (first)
        {
            _order.Insert(0, item);
        }
        else
        {
            _order.Add(item);
        }
    }

    private void WriteItem(SidecarPlan.ListItem item, SidecarPlan plan, string? probers)
    {
        if (!item.IsProxy || probers is null && _metricsEnv is null)
        {
            _writer.WriteRawValue(item.Json, skipInputValidation: true);
            return;
        }
        // The proxy with the merge's entries appended to its env (PrometheusMerge, ProbeRewrite's SetProbersEnv).
        var proxy = plan.Proxy!;
        _writer.WriteStartObject();
        foreach (var (name, json) in proxy.Properties)
        {
            if (name == "env")
            {
                WriteEnv(proxy, probers);
                continue;
            }
            _writer.WritePropertyName(name);
            _writer.WriteRawValue(json, skipInputValidation: true);
        }
        if (!proxy.HasEnv)
        {
            WriteEnv(proxy, probers);
        }
        _writer.WriteEndObject();
    }

    /// <summary>The proxy's env with what the merge appends: the metrics merge's entry, then the probers' (Istio's order).</summary>
    private void WriteEnv(SidecarPlan.ProxyPlan proxy, string? probers)
    {
        _writer.WriteStartArray("env"u8);
        foreach (var entry in proxy.Env)
        {
            _writer.WriteRawValue(entry, skipInputValidation: true);
        }
        if (_metricsEnv is not null)
        {
            _writer.WriteStartObject();
            _writer.WriteString("name"u8, PrometheusMerge.AnnotationsEnvName);
            _writer.WriteString("value"u8, _metricsEnv);
            _writer.WriteEndObject();
        }
        if (probers is not null)
        {
            _writer.WriteStartObject();
            _writer.WriteString("name"u8, ProbeRewrite.ProbersEnv);
            _writer.WriteString("value"u8, probers);
            _writer.WriteEndObject();
        }
        _writer.WriteEndArray();
    }

    /// <summary>Starts an operation on <c>prefix field/index[/member]</c>.</summary>
    private void StartOperation(ReadOnlySpan<byte> op, ReadOnlySpan<byte> prefix, string field, int index, string? member)
    {
        _path.Clear();
        Append(prefix);
        AppendEscaped(field);
        _path.Add((byte)'/');
        Span<byte> digits = stackalloc byte[11];
        index.TryFormat(digits, out int written, provider: System.Globalization.CultureInfo.InvariantCulture);
        Append(digits[..written]);
        if (member is not null)
        {
            _path.Add((byte)'/');
            AppendEscaped(member);
        }
        WriteOperationStart(op);
        _path.Clear();
    }

    private void Push(string field)
    {
        _path.Add((byte)'/');
        AppendEscaped(field);
    }

    private void WriteOperationStart(ReadOnlySpan<byte> op)
    {
        _operations++;
        _writer.WriteStartObject();
        _writer.WriteString("op"u8, op);
        _writer.WriteString("path"u8, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_path));
        _writer.WritePropertyName("value"u8);
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            _path.Add(b);
        }
    }

    private void AppendEscaped(string segment)
    {
        Span<byte> utf8 = segment.Length <= 256 ? stackalloc byte[segment.Length * 3] : new byte[Encoding.UTF8.GetMaxByteCount(segment.Length)];
        int length = Encoding.UTF8.GetBytes(segment, utf8);
        AppendEscaped(utf8[..length]);
    }

    /// <summary>A JSON Pointer segment (RFC 6901): '~' as "~0", '/' as "~1".</summary>
    private void AppendEscaped(ReadOnlySpan<byte> segment)
    {
        foreach (var b in segment)
        {
            switch (b)
            {
                case (byte)'~':
                    _path.Add((byte)'~');
                    _path.Add((byte)'0');
                    break;
                case (byte)'/':
                    _path.Add((byte)'~');
                    _path.Add((byte)'1');
                    break;
                default:
                    _path.Add(b);
                    break;
            }
        }
    }
}
