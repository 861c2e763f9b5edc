using System.Globalization;
using System.Text.Json.Nodes;

namespace SidecarInjector.KubernetesGo;

/// <summary>
/// YAML 1.1 plain scalars as go-yaml v2 (and so sigs.k8s.io/yaml) resolves them: what Kubernetes'
/// YAML reader makes of <c>yes</c>, <c>0o17</c>, <c>1_000</c>; shared by the reader and the writer.
/// </summary>
internal static class YamlScalars
{
    /// <summary>YAML 1.1 resolution of an untagged plain scalar, as go-yaml v2 does it.</summary>
    public static JsonNode? ResolvePlain(string text)
    {
        if (text.Length == 0 || text is "~" or "null" or "Null" or "NULL")
        {
            return null;
        }
        if (ResolveBool(text) is bool b)
        {
            return JsonValue.Create(b);
        }
        return ResolveNumber(text) ?? JsonValue.Create(text);
    }

    public static bool? ResolveBool(string text) => text switch
    {
        "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" => true,
        "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" => false,
        _ => null,
    };

    public static JsonValue? ResolveNumber(string text)
    {
        var c = text[0];
        if (!(char.IsAsciiDigit(c) || c is '-' or '+' or '.'))
        {
            return null;
        }
        var plain = text.Replace("_", "", StringComparison.Ordinal);
        if (long.TryParse(plain, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
            && !(plain.Length > 1 && plain[0] == '0'))
        {
            return JsonValue.Create(integer);
        }
        if (plain.StartsWith("0x", StringComparison.Ordinal)
            && long.TryParse(plain.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }
        if (plain.Length > 1 && plain[0] == '0' && IsOctal(plain.AsSpan(1)))
        {
            return JsonValue.Create(Convert.ToInt64(plain[1..], 8));
        }
        if (plain == "0")
        {
            return JsonValue.Create(0L);
        }
        if (LooksLikeFloat(plain) && double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out var real)
            && double.IsFinite(real))
        {
            return JsonValue.Create(real);
        }
        return null;
    }

    private static bool IsOctal(ReadOnlySpan<char> digits)
    {
        foreach (var d in digits)
        {
            if (d is < '0' or > '7')
            {
                return false;
            }
        }
        return digits.Length > 0;
    }

    private static bool LooksLikeFloat(string text)
    {
        // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? without a regex.
        int i = 0;
        if (i < text.Length && text[i] is '+' or '-') i++;
        int digits = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i])) { i++; digits++; }
        if (i < text.Length && text[i] == '.')
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i])) { i++; digits++; }
        }
        if (digits == 0) return false;
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '+' or '-') i++;
            int exp = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i])) { i++; exp++; }
            if (exp == 0) return false;
        }
        return i == text.Length;
    }
}
