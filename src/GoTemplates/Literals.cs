using System.Globalization;
using System.Text;

namespace GoTemplates;

/// <summary>Go's literal syntax in actions: numbers (decimal, hex, octal, binary, floats, _ separators) and quoted strings.</summary>
internal static class Literals
{
    public static object Number(Token token, Func<int, string, TemplateError> error)
    {
        var text = token.Text.Replace("_", "", StringComparison.Ordinal);
        bool negative = text.StartsWith('-');
        var digits = text.TrimStart('+', '-');
        long value;
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && long.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            || digits.StartsWith("0o", StringComparison.OrdinalIgnoreCase) && TryParseBase(digits[2..], 8, out value)
            || digits.StartsWith("0b", StringComparison.OrdinalIgnoreCase) && TryParseBase(digits[2..], 2, out value)
            || digits.Length > 1 && digits[0] == '0' && digits.All(char.IsAsciiDigit) && TryParseBase(digits[1..], 8, out value)
            || long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            return negative ? -value : value;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            return real;
        }
        throw error(token.Position, $"bad number syntax: \"{token.Text}\"");
    }

    private static bool TryParseBase(string digits, int radix, out long value)
    {
        value = 0;
        if (digits.Length == 0)
        {
            return false;
        }
        foreach (var c in digits)
        {
            int d = c - '0';
            if (d < 0 || d >= radix)
            {
                return false;
            }
            value = value * radix + d;
        }
        return true;
    }

    /// <summary>Go's strconv.Unquote for "…" and '…' literals.</summary>
    public static string Unquote(Token token, Func<int, string, TemplateError> error)
    {
        var body = token.Text.AsSpan(1, token.Text.Length - 2);
        var result = new StringBuilder(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c != '\\')
            {
                result.Append(c);
                continue;
            }
            if (++i >= body.Length)
            {
                throw error(token.Position, "bad escape in " + token.Text);
            }
            c = body[i];
            switch (c)
            {
                case 'n': result.Append('\n'); break;
                case 't': result.Append('\t'); break;
                case 'r': result.Append('\r'); break;
                case 'a': result.Append('\a'); break;
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'v': result.Append('\v'); break;
                case '\\': result.Append('\\'); break;
                case '"': result.Append('"'); break;
                case '\'': result.Append('\''); break;
                case 'x':
                    result.Append((char)Convert.ToInt32(body.Slice(i + 1, 2).ToString(), 16));
                    i += 2;
                    break;
                case 'u':
                    result.Append(char.ConvertFromUtf32(Convert.ToInt32(body.Slice(i + 1, 4).ToString(), 16)));
                    i += 4;
                    break;
                case 'U':
                    result.Append(char.ConvertFromUtf32(Convert.ToInt32(body.Slice(i + 1, 8).ToString(), 16)));
                    i += 8;
                    break;
                default:
                    if (c is >= '0' and <= '7')
                    {
                        result.Append((char)Convert.ToInt32(body.Slice(i, 3).ToString(), 8));
                        i += 2;
                        break;
                    }
                    throw error(token.Position, "bad escape \\" + c);
            }
        }
        return result.ToString();
    }
}
