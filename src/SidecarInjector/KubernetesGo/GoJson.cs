using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SidecarInjector.KubernetesGo;

/// <summary>
/// Compact JSON as Go's encoding/json writes it: object keys in the order given, and Go's string
/// escaping (", \, control characters, and the HTML-sensitive &lt; &gt; &amp; plus U+2028/U+2029 as \u00XX).
/// </summary>
internal static class GoJson
{
    public static string Serialize(JsonNode? node)
    {
        var text = new StringBuilder();
        Write(text, node);
        return text.ToString();
    }

    private static void Write(StringBuilder text, JsonNode? node)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject o:
                text.Append('{');
                bool first = true;
                foreach (var (k, v) in o)
                {
                    if (!first)
                    {
                        text.Append(',');
                    }
                    first = false;
                    WriteString(text, k);
                    text.Append(':');
                    Write(text, v);
                }
                text.Append('}');
                break;
            case JsonArray a:
                text.Append('[');
                for (int i = 0; i < a.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(',');
                    }
                    Write(text, a[i]);
                }
                text.Append(']');
                break;
            default:
                var value = node.AsValue();
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        WriteString(text, value.GetValue<string>());
                        break;
                    case JsonValueKind.Number:
                        text.Append(value.TryGetValue<long>(out var l) ? l.ToString(CultureInfo.InvariantCulture) : value.ToJsonString());
                        break;
                    default:
                        text.Append(value.ToJsonString());
                        break;
                }
                break;
        }
    }

    /// <summary>A raw value written as <see cref="Serialize"/> writes the same value parsed (its keys in their order).</summary>
    public static void Write(StringBuilder text, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                text.Append('{');
                bool first = true;
                foreach (var property in value.EnumerateObject())
                {
                    if (!first)
                    {
                        text.Append(',');
                    }
                    first = false;
                    if (!TryWriteRaw(text, System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property)))
                    {
                        WriteString(text, property.Name);
                    }
                    text.Append(':');
                    Write(text, property.Value);
                }
                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                bool firstItem = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!firstItem)
                    {
                        text.Append(',');
                    }
                    firstItem = false;
                    Write(text, item);
                }
                text.Append(']');
                break;
            case JsonValueKind.String:
                if (!TryWriteRaw(text, System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value)[1..^1]))
                {
                    WriteString(text, value.GetString());
                }
                break;
            case JsonValueKind.Number when value.TryGetInt64(out var l):
                text.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            default:
                AppendUtf8(text, System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value));
                break;
        }
    }

    /// <summary>A string given as its raw JSON bytes, when they hold no escape (else false: the caller reads it unescaped).</summary>
    private static bool TryWriteRaw(StringBuilder text, ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOf((byte)'\\') >= 0 || raw.Length > 512)
        {
            return false;
        }
        Span<char> chars = stackalloc char[raw.Length];
        int length = Encoding.UTF8.GetChars(raw, chars);
        WriteString(text, chars[..length]);
        return true;
    }

    private static void AppendUtf8(StringBuilder text, ReadOnlySpan<byte> raw)
    {
        foreach (var b in raw)
        {
            text.Append((char)b);
        }
    }

    /// <summary>A string as Go's encoding/json escapes it.</summary>
    public static void WriteString(StringBuilder text, ReadOnlySpan<char> s)
    {
        text.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '<' or '>' or '&' or '\u2028' or '\u2029':
                    text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (c < 0x20)
                    {
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }
                    break;
            }
        }
        text.Append('"');
    }
}
