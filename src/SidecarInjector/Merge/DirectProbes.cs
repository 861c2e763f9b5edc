using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Merge;

/// <summary>
/// <see cref="ProbeRewrite"/> on the pod's raw JSON, for the direct path: which app probes and hooks
/// are handed to the agent, the ISTIO_KUBE_APP_PROBERS value (Go's JSON, fields in Go's order, as the
/// merge writes it), and each rewritten probe written straight into the patch. Only reads and one
/// string per pod (the env value).
/// </summary>
internal sealed class DirectProbes
{
    private static readonly (string Field, string Url)[] Probes = ProbeRewrite.Probes;
    private static readonly (string Field, string Url)[] Hooks = ProbeRewrite.Hooks;

    /// <summary>A container with something rewritten: where it is, and which of <see cref="ProbeRewrite.RewritableFields"/>.</summary>
    public readonly record struct Rewritten(string Field, int Index, JsonElement Container, int Fields);

    private readonly List<Rewritten> _containers = [];

    /// <summary>Paths and probers, one after the other, as Go's JSON (sorted and joined at the end).</summary>
    private readonly StringBuilder _text = new(1024);

    private readonly List<(int PathStart, int PathLength, int ProberLength)> _entries = [];

    public List<Rewritten> Containers => _containers;

    public void Clear()
    {
        _containers.Clear();
        _entries.Clear();
        _text.Clear();
    }

    /// <summary>Reads the app containers of <paramref name="spec"/>; returns the probers' env value, or null for none.</summary>
    public string? Read(JsonElement spec, long statusPort)
    {
        foreach (var field in (ReadOnlySpan<string>)["containers", "initContainers"])
        {
            if (!spec.TryGetProperty(field, out var items) || items.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            int index = 0;
            foreach (var container in items.EnumerateArray())
            {
                int fields = ReadContainer(container, statusPort);
                if (fields != 0)
                {
                    _containers.Add(new Rewritten(field, index, container, fields));
                }
                index++;
            }
        }
        return _entries.Count == 0 ? null : Joined();
    }

    private int ReadContainer(JsonElement container, long statusPort)
    {
        int fields = 0;
        var name = container.GetProperty("name"u8);
        for (int i = 0; i < Probes.Length; i++)
        {
            if (container.TryGetProperty(Probes[i].Field, out var probe) && probe.ValueKind == JsonValueKind.Object
                && AddProber(probe, container, name, "/app-health/", Probes[i].Url, statusPort, withTimeout: true))
            {
                fields |= 1 << i;
            }
        }
        if (container.TryGetProperty("lifecycle"u8, out var lifecycle) && lifecycle.ValueKind == JsonValueKind.Object)
        {
            foreach (var (hookField, url) in Hooks)
            {
                if (lifecycle.TryGetProperty(hookField, out var hook) && hook.ValueKind == JsonValueKind.Object
                    && AddProber(hook, container, name, "/app-lifecycle/", url, statusPort, withTimeout: false))
                {
                    fields |= 1 << Probes.Length;
                }
            }
        }
        return fields;
    }

    /// <summary>ProbeRewrite's Prober, written as Go's JSON after its path; false when the probe stays as it is.</summary>
    private bool AddProber(JsonElement probe, JsonElement container, JsonElement name, string kind, string url, long statusPort, bool withTimeout)
    {
        int pathStart = _text.Length;
        _text.Append(kind);
        AppendString(_text, name);
        _text.Append('/').Append(url);
        int proberStart = _text.Length;
        bool written;
        if (probe.TryGetProperty("httpGet"u8, out var http) && http.ValueKind == JsonValueKind.Object)
        {
            written = Port(http, container) is { } port && port != statusPort && WriteAction(probe, "httpGet", http, ["path", "port", "host", "scheme", "httpHeaders"], port, withTimeout);
        }
        else if (probe.TryGetProperty("tcpSocket"u8, out var tcp) && tcp.ValueKind == JsonValueKind.Object)
        {
            written = Port(tcp, container) is { } port && WriteAction(probe, "tcpSocket", tcp, ["port", "host"], port, withTimeout);
        }
        else if (probe.TryGetProperty("grpc"u8, out var grpc) && grpc.ValueKind == JsonValueKind.Object)
        {
            written = WriteAction(probe, "grpc", grpc, ["port", "service"], null, withTimeout);
        }
        else
        {
            written = false;
        }
        if (!written)
        {
            _text.Length = pathStart;
            return false;
        }
        _entries.Add((pathStart, proberStart - pathStart, _text.Length - proberStart));
        return true;
    }

    /// <summary>
    /// {"action":{fields in Go's order, then the rest as they come},"timeoutSeconds":N}, the port resolved
    /// (GoTypes.Order of the action, as the merge writes it).
    /// </summary>
    private bool WriteAction(JsonElement probe, string actionName, JsonElement action, string[] order, long? port, bool withTimeout)
    {
        _text.Append("{\"").Append(actionName).Append("\":{");
        bool first = true;
        foreach (var field in order)
        {
            if (field == "port" && port is { } resolved)
            {
                Separate(ref first);
                _text.Append("\"port\":").Append(resolved.ToString(CultureInfo.InvariantCulture));
            }
            else if (action.TryGetProperty(field, out var value))
            {
                Separate(ref first);
                GoJson.WriteString(_text, field);
                _text.Append(':');
                GoJson.Write(_text, value);
            }
        }
        foreach (var property in action.EnumerateObject())
        {
            if (Array.IndexOf(order, property.Name) < 0)
            {
                Separate(ref first);
                GoJson.WriteString(_text, property.Name);
                _text.Append(':');
                GoJson.Write(_text, property.Value);
            }
        }
        _text.Append('}');
        if (withTimeout && probe.TryGetProperty("timeoutSeconds"u8, out var timeout) && timeout.ValueKind == JsonValueKind.Number
            && timeout.TryGetInt64(out var seconds) && seconds != 0)
        {
            _text.Append(",\"timeoutSeconds\":").Append(seconds.ToString(CultureInfo.InvariantCulture));
        }
        _text.Append('}');
        return true;

        void Separate(ref bool isFirst)
        {
            if (!isFirst)
            {
                _text.Append(',');
            }
            isFirst = false;
        }
    }

    /// <summary>ProbeRewrite's Port: a number, a named port of the container, or a number as text.</summary>
    private static long? Port(JsonElement action, JsonElement container)
    {
        if (!action.TryGetProperty("port"u8, out var port))
        {
            return null;
        }
        switch (port.ValueKind)
        {
            case JsonValueKind.Number:
                return port.TryGetInt64(out var number) ? number : null;
            case JsonValueKind.String:
                var text = port.GetString()!;
                long? named = null;
                if (text.Length > 0 && container.TryGetProperty("ports"u8, out var ports) && ports.ValueKind == JsonValueKind.Array)
                {
                    // The last port of the name wins, as the merge's dictionary has it.
                    foreach (var p in ports.EnumerateArray())
                    {
                        if (p.ValueKind == JsonValueKind.Object && p.TryGetProperty("name"u8, out var n) && n.ValueKind == JsonValueKind.String
                            && n.ValueEquals(text)
                            && p.TryGetProperty("containerPort"u8, out var cp) && cp.ValueKind == JsonValueKind.Number && cp.TryGetInt64(out var value))
                        {
                            named = value;
                        }
                    }
                }
                return named ?? (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null);
            default:
                return null;
        }
    }

    /// <summary>The probers by path, sorted, the last of a path kept (ProbeRewrite's sorted dictionary), as one Go JSON object.</summary>
    private string Joined()
    {
        int length = _text.Length;
        var chars = ArrayPool<char>.Shared.Rent(length + 2 * _entries.Count + 8);
        try
        {
            _text.CopyTo(0, chars, length);
            var all = chars.AsSpan(0, length);
            // Insertion sort, stable: a later prober of the same path comes after, and wins.
            var entries = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_entries);
            for (int i = 1; i < entries.Length; i++)
            {
                var entry = entries[i];
                int j = i - 1;
                while (j >= 0 && Path(all, entries[j]).SequenceCompareTo(Path(all, entry)) > 0)
                {
                    entries[j + 1] = entries[j];
                    j--;
                }
                entries[j + 1] = entry;
            }
            var result = new StringBuilder(length + 2 * entries.Length + 8);
            result.Append('{');
            bool first = true;
            for (int i = 0; i < entries.Length; i++)
            {
                if (i + 1 < entries.Length && Path(all, entries[i]).SequenceEqual(Path(all, entries[i + 1])))
                {
                    continue;
                }
                if (!first)
                {
                    result.Append(',');
                }
                first = false;
                GoJson.WriteString(result, Path(all, entries[i]));
                result.Append(':');
                result.Append(all.Slice(entries[i].PathStart + entries[i].PathLength, entries[i].ProberLength));
            }
            result.Append('}');
            return result.ToString();
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }

        static ReadOnlySpan<char> Path(ReadOnlySpan<char> all, (int PathStart, int PathLength, int ProberLength) entry) =>
            all.Slice(entry.PathStart, entry.PathLength);
    }

    /// <summary>Writes the probe (or lifecycle) field <paramref name="field"/> of a rewritten container, pointed at the agent.</summary>
    public static void WriteRewritten(Utf8JsonWriter writer, JsonElement container, int field, long statusPort)
    {
        var name = container.GetProperty("name"u8);
        if (field < Probes.Length)
        {
            WriteProbe(writer, container.GetProperty(Probes[field].Field), "/app-health/", name, Probes[field].Url, statusPort);
            return;
        }
        // The lifecycle, its rewritten hooks replaced (a hook without a prober stays as it was).
        var lifecycle = container.GetProperty("lifecycle"u8);
        writer.WriteStartObject();
        foreach (var property in lifecycle.EnumerateObject())
        {
            int hook = HookIndex(property);
            if (hook >= 0 && property.Value.ValueKind == JsonValueKind.Object && HasProber(property.Value, container, statusPort))
            {
                writer.WritePropertyName(Hooks[hook].Field);
                WriteProbe(writer, property.Value, "/app-lifecycle/", name, Hooks[hook].Url, statusPort);
            }
            else
            {
                property.WriteTo(writer);
            }
        }
        writer.WriteEndObject();
    }

    private static int HookIndex(JsonProperty property)
    {
        for (int i = 0; i < Hooks.Length; i++)
        {
            if (property.NameEquals(Hooks[i].Field))
            {
                return i;
            }
        }
        return -1;
    }

    private static bool HasProber(JsonElement hook, JsonElement container, long statusPort)
    {
        if (hook.TryGetProperty("httpGet"u8, out var http) && http.ValueKind == JsonValueKind.Object)
        {
            return Port(http, container) is { } port && port != statusPort;
        }
        if (hook.TryGetProperty("tcpSocket"u8, out var tcp) && tcp.ValueKind == JsonValueKind.Object)
        {
            return Port(tcp, container) is not null;
        }
        return hook.TryGetProperty("grpc"u8, out var grpc) && grpc.ValueKind == JsonValueKind.Object;
    }

    /// <summary>ProbeRewrite's Rewritten: the same settings, an httpGet on the agent's path and port.</summary>
    private static void WriteProbe(Utf8JsonWriter writer, JsonElement probe, string kind, JsonElement name, string url, long statusPort)
    {
        Span<byte> path = stackalloc byte[512];
        int length = AgentPath(path, kind, name, url);
        writer.WriteStartObject();
        bool isHttp = probe.TryGetProperty("httpGet"u8, out var http) && http.ValueKind == JsonValueKind.Object;
        foreach (var property in probe.EnumerateObject())
        {
            if (isHttp && property.NameEquals("httpGet"u8))
            {
                writer.WritePropertyName("httpGet"u8);
                WriteHttp(writer, http, path[..length], statusPort);
            }
            else if (isHttp || !property.NameEquals("tcpSocket"u8) && !property.NameEquals("grpc"u8))
            {
                property.WriteTo(writer);
            }
        }
        if (!isHttp)
        {
            writer.WriteStartObject("httpGet"u8);
            writer.WriteString("path"u8, path[..length]);
            writer.WriteNumber("port"u8, statusPort);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    private static void WriteHttp(Utf8JsonWriter writer, JsonElement http, ReadOnlySpan<byte> path, long statusPort)
    {
        writer.WriteStartObject();
        bool hasPath = false, hasPort = false;
        foreach (var property in http.EnumerateObject())
        {
            if (property.NameEquals("path"u8))
            {
                writer.WriteString("path"u8, path);
                hasPath = true;
            }
            else if (property.NameEquals("port"u8))
            {
                writer.WriteNumber("port"u8, statusPort);
                hasPort = true;
            }
            else if (property.NameEquals("scheme"u8) && property.Value.ValueKind == JsonValueKind.String && property.Value.ValueEquals("HTTPS"u8))
            {
                writer.WriteString("scheme"u8, "HTTP"u8);
            }
            else
            {
                property.WriteTo(writer);
            }
        }
        if (!hasPath)
        {
            writer.WriteString("path"u8, path);
        }
        if (!hasPort)
        {
            writer.WriteNumber("port"u8, statusPort);
        }
        writer.WriteEndObject();
    }

    /// <summary>"/app-health/NAME/readyz" as UTF-8 (the name unescaped).</summary>
    private static int AgentPath(Span<byte> path, string kind, JsonElement name, string url)
    {
        int at = Encoding.UTF8.GetBytes(kind, path);
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(name)[1..^1];
        if (raw.IndexOf((byte)'\\') < 0)
        {
            raw.CopyTo(path[at..]);
            at += raw.Length;
        }
        else
        {
            at += Encoding.UTF8.GetBytes(name.GetString()!, path[at..]);
        }
        path[at++] = (byte)'/';
        at += Encoding.UTF8.GetBytes(url, path[at..]);
        return at;
    }

    /// <summary>A string value's text, unescaped, appended to <paramref name="text"/>.</summary>
    private static void AppendString(StringBuilder text, JsonElement value)
    {
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value)[1..^1];
        if (raw.IndexOf((byte)'\\') >= 0 || raw.Length > 256)
        {
            text.Append(value.GetString());
            return;
        }
        Span<char> chars = stackalloc char[raw.Length];
        int length = Encoding.UTF8.GetChars(raw, chars);
        text.Append(chars[..length]);
    }
}
