using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GoTemplates;

namespace SidecarInjector.KubernetesGo;

/// <summary>
/// YAML text as sigs.k8s.io/yaml.Marshal writes it (JSON → go-yaml v2): sorted keys, two-space
/// indent, sequences in mappings not indented, go-yaml's choice of plain, single-quoted,
/// double-quoted or literal scalars, and its folding of long plain lines at 80 columns.
/// Istio's <c>toYaml</c> and kube-inject's output both come from this path.
/// </summary>
internal static class GoYaml
{
    private const int BestWidth = 80;

    public static string Emit(JsonNode? node)
    {
        var text = new StringBuilder();
        switch (node)
        {
            case JsonObject o when o.Count > 0:
                Mapping(text, o, 0, inline: false);
                break;
            case JsonArray a when a.Count > 0:
                Sequence(text, a, 0, inline: false);
                break;
            default:
                Scalar(text, node, 0);
                text.Append('\n');
                break;
        }
        return text.ToString();
    }

    private static void Mapping(StringBuilder text, JsonObject map, int indent, bool inline)
    {
        var keys = new List<string>(map.Count);
        foreach (var (k, _) in map)
        {
            keys.Add(k);
        }
        keys.Sort(StringComparer.Ordinal);
        bool first = true;
        foreach (var key in keys)
        {
            if (!(first && inline))
            {
                text.Append(' ', indent);
            }
            first = false;
            WriteString(text, key, indent, isKey: true);
            text.Append(':');
            Value(text, map[key], indent, inSequence: false);
        }
    }

    private static void Sequence(StringBuilder text, JsonArray list, int indent, bool inline)
    {
        bool first = true;
        foreach (var item in list)
        {
            if (!(first && inline))
            {
                text.Append(' ', indent);
            }
            first = false;
            text.Append('-');
            Value(text, item, indent, inSequence: true);
        }
    }

    /// <summary>Writes what follows "key:" or "-", including the line end.</summary>
    private static void Value(StringBuilder text, JsonNode? value, int indent, bool inSequence)
    {
        switch (value)
        {
            case JsonObject o when o.Count > 0:
                if (inSequence)
                {
                    text.Append(' ');
                    Mapping(text, o, indent + 2, inline: true);
                }
                else
                {
                    text.Append('\n');
                    Mapping(text, o, indent + 2, inline: false);
                }
                break;
            case JsonArray a when a.Count > 0:
                if (inSequence)
                {
                    text.Append(' ');
                    Sequence(text, a, indent + 2, inline: true);
                }
                else
                {
                    text.Append('\n');
                    // go-yaml v2 does not indent a sequence under its mapping key.
                    Sequence(text, a, indent, inline: false);
                }
                break;
            default:
                text.Append(' ');
                Scalar(text, value, indent + 2);
                text.Append('\n');
                break;
        }
    }

    private static void Scalar(StringBuilder text, JsonNode? value, int indent)
    {
        switch (value)
        {
            case null:
                text.Append("null");
                return;
            case JsonObject:
                text.Append("{}");
                return;
            case JsonArray:
                text.Append("[]");
                return;
        }
        var v = value.AsValue();
        switch (v.GetValueKind())
        {
            case JsonValueKind.True:
                text.Append("true");
                return;
            case JsonValueKind.False:
                text.Append("false");
                return;
            case JsonValueKind.Number:
                var raw = v.ToJsonString();
                if (long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                {
                    text.Append(l.ToString(CultureInfo.InvariantCulture));
                }
                else
                {
                    var d = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
                    text.Append(double.IsPositiveInfinity(d) ? ".inf" : double.IsNegativeInfinity(d) ? "-.inf" : double.IsNaN(d) ? ".nan" : GoValues.FormatFloat(d));
                }
                return;
            case JsonValueKind.String:
                WriteString(text, v.GetValue<string>(), indent, isKey: false);
                return;
            default:
                text.Append("null");
                return;
        }
    }

    private enum Style
    {
        Plain,
        SingleQuoted,
        DoubleQuoted,
        Literal,
    }

    private static void WriteString(StringBuilder text, string s, int indent, bool isKey)
    {
        var style = ChooseStyle(s, isKey);
        switch (style)
        {
            case Style.Plain:
                WriteFolded(text, s, indent, quote: false);
                break;
            case Style.SingleQuoted:
                text.Append('\'');
                WriteFolded(text, s.Replace("'", "''", StringComparison.Ordinal), indent, quote: true);
                text.Append('\'');
                break;
            case Style.DoubleQuoted:
                WriteDoubleQuoted(text, s);
                break;
            case Style.Literal:
                WriteLiteral(text, s, indent);
                break;
        }
    }

    private static Style ChooseStyle(string s, bool isKey)
    {
        if (s.Contains('\n', StringComparison.Ordinal))
        {
            return isKey ? Style.DoubleQuoted : Style.Literal;
        }
        if (ResolvesToNonString(s))
        {
            return Style.DoubleQuoted;
        }
        var (plain, single) = Analyze(s);
        if (plain)
        {
            return Style.Plain;
        }
        return single ? Style.SingleQuoted : Style.DoubleQuoted;
    }

    /// <summary>go-yaml v2's resolve: would this plain text read back as something else than this string?</summary>
    private static bool ResolvesToNonString(string s)
    {
        if (s.Length == 0 || s is "y" or "Y" or "n" or "N" or "<<")
        {
            return true;
        }
        if (s is ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN")
        {
            return true;
        }
        var resolved = YamlScalars.ResolvePlain(s);
        if (resolved is null || resolved is JsonValue jv && jv.GetValueKind() != JsonValueKind.String)
        {
            return true;
        }
        return IsBase60Float(s);
    }

    private static bool IsBase60Float(string s)
    {
        // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
        int i = 0;
        if (i < s.Length && s[i] is '+' or '-') i++;
        if (i >= s.Length || !char.IsAsciiDigit(s[i])) return false;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '_')) i++;
        int groups = 0;
        while (i < s.Length && s[i] == ':')
        {
            i++;
            int digits = 0;
            if (i < s.Length && s[i] is >= '0' and <= '5' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1]))
            {
                i += 2;
                digits = 2;
            }
            else if (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                digits = 1;
            }
            if (digits == 0) return false;
            groups++;
        }
        if (groups == 0) return false;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '_')) i++;
        }
        return i == s.Length;
    }

    /// <summary>yaml_emitter_analyze_scalar, block context: (plain allowed, single quotes allowed).</summary>
    private static (bool Plain, bool Single) Analyze(string s)
    {
        if (s.StartsWith("---", StringComparison.Ordinal) || s.StartsWith("...", StringComparison.Ordinal))
        {
            return (false, true);
        }
        bool blockIndicators = false, special = false;
        bool leadingSpace = s[0] == ' ', trailingSpace = s[^1] == ' ';
        bool previousSpace = false;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            bool followedBySpace = i + 1 >= s.Length || s[i + 1] is ' ' or '\t' or '\r' or '\n';
            if (i == 0)
            {
                switch (c)
                {
                    case '#' or ',' or '[' or ']' or '{' or '}' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`':
                        blockIndicators = true;
                        break;
                    case '?' or ':':
                        if (followedBySpace) blockIndicators = true;
                        break;
                    case '-':
                        if (followedBySpace) blockIndicators = true;
                        break;
                }
            }
            else
            {
                switch (c)
                {
                    case ':':
                        if (followedBySpace) blockIndicators = true;
                        break;
                    case '#':
                        if (previousSpace) blockIndicators = true;
                        break;
                }
            }
            if (c is '\t' || char.IsControl(c) || c == '\uFEFF')
            {
                special = true;
            }
            previousSpace = c == ' ';
        }
        bool plain = !(blockIndicators || leadingSpace || trailingSpace || special);
        return (plain, !special);
    }

    /// <summary>Plain and single-quoted text, broken at a space once past 80 columns, as go-yaml does.</summary>
    private static void WriteFolded(StringBuilder text, string s, int indent, bool quote)
    {
        int lineStart = LastLineStart(text);
        bool previousSpace = false;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == ' ')
            {
                int column = text.Length - lineStart;
                if (!previousSpace && column > BestWidth && i + 1 < s.Length && s[i + 1] != ' ' && !(quote && i == 0))
                {
                    text.Append('\n').Append(' ', indent);
                    lineStart = text.Length - indent;
                    previousSpace = true;
                    continue;
                }
                previousSpace = true;
            }
            else
            {
                previousSpace = false;
            }
            text.Append(c);
        }
    }

    private static int LastLineStart(StringBuilder text)
    {
        for (int i = text.Length - 1; i >= 0; i--)
        {
            if (text[i] == '\n')
            {
                return i + 1;
            }
        }
        return 0;
    }

    private static void WriteDoubleQuoted(StringBuilder text, string s)
    {
        text.Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            int c = rune.Value;
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\0': text.Append("\\0"); break;
                case '\a': text.Append("\\a"); break;
                case '\b': text.Append("\\b"); break;
                case '\t': text.Append("\\t"); break;
                case '\n': text.Append("\\n"); break;
                case '\v': text.Append("\\v"); break;
                case '\f': text.Append("\\f"); break;
                case '\r': text.Append("\\r"); break;
                case 0x1b: text.Append("\\e"); break;
                case 0x85: text.Append("\\N"); break;
                case 0xA0: text.Append("\\_"); break;
                case 0x2028: text.Append("\\L"); break;
                case 0x2029: text.Append("\\P"); break;
                default:
                    if (c < 0x20 || c == 0x7f)
                    {
                        text.Append("\\x").Append(c.ToString("X2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(rune.ToString());
                    }
                    break;
            }
        }
        text.Append('"');
    }

    private static void WriteLiteral(StringBuilder text, string s, int indent)
    {
        text.Append('|');
        if (s.Length > 0 && s[0] is ' ' or '\n')
        {
            text.Append('2');
        }
        if (!s.EndsWith('\n'))
        {
            text.Append('-');
        }
        else if (s.Length >= 2 && s[^2] == '\n')
        {
            text.Append('+');
        }
        var body = s.EndsWith('\n') ? s[..^1] : s;
        foreach (var line in body.Split('\n'))
        {
            text.Append('\n');
            if (line.Length > 0)
            {
                text.Append(' ', indent).Append(line);
            }
        }
    }
}
