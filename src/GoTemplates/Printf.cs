using System.Globalization;
using System.Text;

namespace GoTemplates;

/// <summary>The part of Go's fmt.Sprintf that templates use: %v %s %d %q %t %f %e %g %x %X %o %c %%, flags, width, precision.</summary>
internal static class Printf
{
    public static string Format(string format, ReadOnlySpan<object?> args)
    {
        var text = StringBuilderCache.Acquire(format.Length + 16);
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%')
            {
                text.Append(c);
                continue;
            }
            if (++i >= format.Length)
            {
                text.Append("%!(NOVERB)");
                break;
            }
            bool minus = false, zero = false, plus = false, space = false, sharp = false;
            for (; i < format.Length; i++)
            {
                switch (format[i])
                {
                    case '-': minus = true; continue;
                    case '0': zero = true; continue;
                    case '+': plus = true; continue;
                    case ' ': space = true; continue;
                    case '#': sharp = true; continue;
                }
                break;
            }
            int width = ReadNumber(format, ref i);
            int precision = -1;
            if (i < format.Length && format[i] == '.')
            {
                i++;
                precision = Math.Max(0, ReadNumber(format, ref i));
            }
            if (i >= format.Length)
            {
                text.Append("%!(NOVERB)");
                break;
            }
            char verb = format[i];
            if (verb == '%')
            {
                text.Append('%');
                continue;
            }
            if (next >= args.Length)
            {
                text.Append("%!").Append(verb).Append("(MISSING)");
                continue;
            }
            var arg = args[next++];
            var formatted = FormatOne(verb, arg, precision, plus, space, sharp);
            Pad(text, formatted, width, minus, zero && !minus && verb is 'd' or 'f' or 'e' or 'g' or 'x' or 'X' or 'o');
        }
        if (next < args.Length)
        {
            text.Append("%!(EXTRA ");
            for (int k = next; k < args.Length; k++)
            {
                if (k > next) text.Append(", ");
                text.Append(GoValues.TypeName(args[k])).Append('=');
                GoValues.Print(text, args[k]);
            }
            text.Append(')');
        }
        return StringBuilderCache.ToStringAndRelease(text);
    }

    /// <summary>Go's fmt refuses widths and precisions over a million (they would only fill memory).</summary>
    private const int TooLarge = 1_000_000;

    private static int ReadNumber(string format, ref int i)
    {
        int start = i, value = 0;
        while (i < format.Length && char.IsAsciiDigit(format[i]))
        {
            if (value > TooLarge)
            {
                // As Go's parsenum: the number and the rest of the format are consumed (%!(NOVERB)).
                i = format.Length;
                return -1;
            }
            value = value * 10 + (format[i++] - '0');
        }
        return i == start ? -1 : value;
    }

    private static string FormatOne(char verb, object? arg, int precision, bool plus, bool space, bool sharp)
    {
        switch (verb)
        {
            case 'v':
            case 's':
                var s = GoValues.Print(arg);
                return precision >= 0 && verb == 's' && s.Length > precision ? s[..precision] : s;
            case 'q':
                return arg is long or int ? Quote(char.ConvertFromUtf32((int)(long)(arg is int n ? n : (long)arg))) : Quote(GoValues.Print(arg));
            case 't':
                return arg is bool b ? (b ? "true" : "false") : Bad(verb, arg);
            case 'd':
                if (arg is long or int)
                {
                    long l = arg is int i32 ? i32 : (long)arg;
                    return (plus && l >= 0 ? "+" : space && l >= 0 ? " " : "") + l.ToString(CultureInfo.InvariantCulture);
                }
                return Bad(verb, arg);
            case 'x' or 'X' or 'o' or 'b':
                if (arg is long or int)
                {
                    long l = arg is int i32 ? i32 : (long)arg;
                    var digits = verb switch
                    {
                        'x' => l.ToString("x", CultureInfo.InvariantCulture),
                        'X' => l.ToString("X", CultureInfo.InvariantCulture),
                        'o' => Convert.ToString(l, 8),
                        _ => Convert.ToString(l, 2),
                    };
                    return (sharp && verb is 'x' ? "0x" : sharp && verb is 'X' ? "0X" : "") + digits;
                }
                if (arg is string str && verb is 'x' or 'X')
                {
                    var hex = Convert.ToHexString(Encoding.UTF8.GetBytes(str));
                    return verb == 'x' ? hex.ToLowerInvariant() : hex;
                }
                return Bad(verb, arg);
            case 'f' or 'F' or 'e' or 'E' or 'g' or 'G':
                if (!GoValues.TryNumber(arg, out var d) || arg is long or int)
                {
                    return Bad(verb, arg);
                }
                var sign = plus && d >= 0 ? "+" : space && d >= 0 ? " " : "";
                return sign + verb switch
                {
                    'f' or 'F' => d.ToString("F" + (precision < 0 ? 6 : precision), CultureInfo.InvariantCulture),
                    'e' or 'E' => GoExponent(d.ToString((verb == 'e' ? "e" : "E") + (precision < 0 ? 6 : precision), CultureInfo.InvariantCulture)),
                    _ => precision < 0 ? GoValues.FormatFloat(d) : d.ToString("G" + precision, CultureInfo.InvariantCulture),
                };
            case 'c':
                return arg is long or int ? char.ConvertFromUtf32((int)(arg is int c32 ? c32 : (long)arg)) : Bad(verb, arg);
            default:
                return Bad(verb, arg);
        }
    }

    /// <summary>.NET writes e+006; Go writes e+06.</summary>
    private static string GoExponent(string s)
    {
        int e = s.IndexOfAny(['e', 'E']);
        if (e < 0 || e + 2 >= s.Length)
        {
            return s;
        }
        var digits = s[(e + 2)..].TrimStart('0');
        return s[..(e + 2)] + digits.PadLeft(2, '0');
    }

    private static string Bad(char verb, object? arg) => $"%!{verb}({GoValues.TypeName(arg)}={GoValues.Print(arg)})";

    private static void Pad(StringBuilder text, string value, int width, bool left, bool zeros)
    {
        int pad = width - value.Length;
        if (pad <= 0)
        {
            text.Append(value);
        }
        else if (left)
        {
            text.Append(value).Append(' ', pad);
        }
        else if (zeros && value.Length > 0 && value[0] is '-' or '+')
        {
            text.Append(value[0]).Append('0', pad).Append(value, 1, value.Length - 1);
        }
        else
        {
            text.Append(zeros ? '0' : ' ', pad).Append(value);
        }
    }

    /// <summary>Printable ASCII without a quote or backslash: quoted as it is.</summary>
    private static bool IsPlainAscii(string s)
    {
        foreach (char c in s)
        {
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>strconv.Quote: Go escapes, non-printable runes as \x/\u.</summary>
    public static string Quote(string s)
    {
        if (IsPlainAscii(s))
        {
            return string.Concat("\"", s, "\"");
        }
        var text = new StringBuilder(s.Length + 2).Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append(@"\\"); break;
                case '\a': text.Append(@"\a"); break;
                case '\b': text.Append(@"\b"); break;
                case '\f': text.Append(@"\f"); break;
                case '\n': text.Append(@"\n"); break;
                case '\r': text.Append(@"\r"); break;
                case '\t': text.Append(@"\t"); break;
                case '\v': text.Append(@"\v"); break;
                default:
                    if (rune.Value < 0x20 || rune.Value == 0x7f)
                    {
                        text.Append("\\x").Append(rune.Value.ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned)
                    {
                        text.Append(rune.Value > 0xFFFF ? "\\U" + rune.Value.ToString("x8", CultureInfo.InvariantCulture) : "\\u" + rune.Value.ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(rune.ToString());
                    }
                    break;
            }
        }
        return text.Append('"').ToString();
    }
}
