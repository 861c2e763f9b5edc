using System.Text;
using GoTemplates;

namespace SidecarInjector.Render;

/// <summary>The sprig functions Istio's injection templates call, with sprig v3's semantics.</summary>
internal static class SprigFunctions
{
    public static FunctionTable AddTo(FunctionTable table) => table
        .Add("default", 1, 2, a => a.Length < 2 || IsEmpty(a[1]) ? a[0] : a[1])
        .Add("empty", 1, 1, a => IsEmpty(a[0]))
        .Add("coalesce", 0, -1, a => Array.Find(a, v => !IsEmpty(v)))
        .Add("ternary", 3, 3, a => GoValues.IsTrue(a[2]) ? a[0] : a[1])
        .Add("quote", 0, -1, Quote)
        .Add("squote", 0, -1, a => string.Join(" ", Strings(a).Select(s => "'" + s + "'")))
        .Add("list", 0, -1, a => new List<object?>(a))
        .Add("append", 2, 2, a => Append(a[0], a[1]))
        .Add("join", 2, 2, a => string.Join(Builtins.Str(a[0]), ListOf(a[1]).Select(StrVal)))
        .Add("indent", 2, 2, a => Indent(Int(a[0]), Builtins.Str(a[1])))
        .Add("nindent", 2, 2, a => NIndent(Int(a[0]), Builtins.Str(a[1])))
        .Add("trunc", 2, 2, a => Trunc(Int(a[0]), Builtins.Str(a[1])))
        .Add("trim", 1, 1, a => Builtins.Str(a[0]).Trim())
        .Add("trimAll", 2, 2, a => Builtins.Str(a[1]).Trim(Builtins.Str(a[0]).ToCharArray()))
        .Add("trimPrefix", 2, 2, a => TrimPrefix(Builtins.Str(a[1]), Builtins.Str(a[0])))
        .Add("trimSuffix", 2, 2, a => TrimSuffix(Builtins.Str(a[1]), Builtins.Str(a[0])))
        .Add("hasPrefix", 2, 2, a => Builtins.Str(a[1]).StartsWith(Builtins.Str(a[0]), StringComparison.Ordinal))
        .Add("hasSuffix", 2, 2, a => Builtins.Str(a[1]).EndsWith(Builtins.Str(a[0]), StringComparison.Ordinal))
        .Add("replace", 3, 3, a => Builtins.Str(a[2]).Replace(Builtins.Str(a[0]), Builtins.Str(a[1]), StringComparison.Ordinal))
        .Add("upper", 1, 1, a => Builtins.Str(a[0]).ToUpperInvariant())
        .Add("lower", 1, 1, a => Builtins.Str(a[0]).ToLowerInvariant())
        .Add("split", 2, 2, a => Split(Builtins.Str(a[0]), Builtins.Str(a[1])))
        .Add("splitList", 2, 2, a => new List<object?>(Builtins.Str(a[1]).Split(Builtins.Str(a[0]))))
        .Add("toString", 1, 1, a => StrVal(a[0]))
        .Add("dict", 0, -1, Dict)
        .Add("hasKey", 2, 2, a => a[0] is GoMap m && m.Entries.ContainsKey(Builtins.Str(a[1])))
        .DeclareReads("hasKey", new ArgumentRead(0, "$1"))
        .Add("b64enc", 1, 1, a => Convert.ToBase64String(Encoding.UTF8.GetBytes(Builtins.Str(a[0]))));

    /// <summary>sprig's empty: nil, zero numbers, false, empty strings, lists and maps.</summary>
    public static bool IsEmpty(object? value) => !GoValues.IsTrue(value) || value is GoStruct { Fields.Count: 0 };

    /// <summary>sprig's strval: strings as they are, nil as "", others printed.</summary>
    public static string StrVal(object? value) => value switch
    {
        null or NoValue or ZeroValue => "",
        string s => s,
        _ => GoValues.Print(value),
    };

    private static IEnumerable<string> Strings(object?[] args)
    {
        foreach (var a in args)
        {
            if (a is not null and not NoValue)
            {
                yield return StrVal(a);
            }
        }
    }

    private static string Quote(object?[] args)
    {
        // One argument is nearly every use ({{ x | quote }}): no list and no join.
        if (args.Length == 1)
        {
            return args[0] is null or NoValue ? "" : Printf.Quote(StrVal(args[0]));
        }
        var parts = new List<string>();
        foreach (var s in Strings(args))
        {
            parts.Add(Printf.Quote(s));
        }
        return string.Join(" ", parts);
    }

    public static List<object?> ListOf(object? value) => value switch
    {
        List<object?> list => list,
        null or NoValue or ZeroValue => [],
        _ => throw new FunctionException($"cannot use {GoValues.TypeName(value)} as a list"),
    };

    private static List<object?> Append(object? list, object? value)
    {
        var result = new List<object?>(ListOf(list)) { value };
        return result;
    }

    public static int Int(object? value) => value switch
    {
        long l => (int)l,
        int i => i,
        double d => (int)d,
        string s when int.TryParse(s, out var n) => n,
        _ => 0,
    };

    private static string NIndent(int spaces, string text) => Indented(text, IndentWidth(spaces, text), padFirstLine: true, leadingNewline: true);

    public static string Indent(int spaces, string text) => Indented(text, IndentWidth(spaces, text), padFirstLine: true, leadingNewline: false);

    /// <summary>
    /// <paramref name="text"/> with <paramref name="width"/> spaces after each line break (and before the
    /// first line when <paramref name="padFirstLine"/>), after a line break of its own when
    /// <paramref name="leadingNewline"/> (nindent): one string, where pad, replace and concatenation made four.
    /// </summary>
    public static string Indented(string text, int width, bool padFirstLine, bool leadingNewline)
    {
        int breaks = text.AsSpan().Count('\n');
        int length = (leadingNewline ? 1 : 0) + text.Length + width * (breaks + (padFirstLine ? 1 : 0));
        return string.Create(length, (text, width, padFirstLine, leadingNewline), static (span, state) =>
        {
            int at = 0;
            if (state.leadingNewline)
            {
                span[at++] = '\n';
            }
            if (state.padFirstLine)
            {
                span.Slice(at, state.width).Fill(' ');
                at += state.width;
            }
            foreach (char c in state.text)
            {
                span[at++] = c;
                if (c == '\n')
                {
                    span.Slice(at, state.width).Fill(' ');
                    at += state.width;
                }
            }
        });
    }

    /// <summary>
    /// The indentation asked for, refused before the string is made when the result would be larger
    /// than a template value may be (a hostile template could ask for a billion spaces per line).
    /// </summary>
    public static int IndentWidth(int spaces, string text)
    {
        if (spaces <= 0)
        {
            return 0;
        }
        long lines = text.AsSpan().Count('\n') + 1L;
        if (text.Length + lines * spaces > MaxIndentedChars)
        {
            throw new FunctionException($"indenting {lines} lines by {spaces} spaces makes a value larger than {MaxIndentedChars} characters");
        }
        return spaces;
    }

    /// <summary>The same bound as any function's value (GoTemplates' MaxValueChars).</summary>
    private const int MaxIndentedChars = 1024 * 1024;

    private static string Trunc(int length, string text)
    {
        if (length < 0)
        {
            return -length < text.Length ? text[(text.Length + length)..] : text;
        }
        return length < text.Length ? text[..length] : text;
    }

    private static string TrimPrefix(string text, string prefix) =>
        prefix.Length > 0 && text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : text;

    private static string TrimSuffix(string text, string suffix) =>
        suffix.Length > 0 && text.EndsWith(suffix, StringComparison.Ordinal) ? text[..^suffix.Length] : text;

    private static GoMap Split(string separator, string text)
    {
        var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
        var parts = text.Split(separator);
        for (int i = 0; i < parts.Length; i++)
        {
            entries["_" + i] = parts[i];
        }
        return new GoMap(entries, NoValue.Instance);
    }

    private static GoMap Dict(object?[] args)
    {
        var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i += 2)
        {
            entries[StrVal(args[i])] = i + 1 < args.Length ? args[i + 1] : "";
        }
        return new GoMap(entries, NoValue.Instance);
    }
}
