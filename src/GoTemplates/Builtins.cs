using System.Globalization;
using System.Text;

namespace GoTemplates;

/// <summary>text/template's predefined functions (and/or are in the evaluator, since they short-circuit).</summary>
internal static class Builtins
{
    public static FunctionTable AddTo(FunctionTable table) => table
        .Add("not", 1, 1, a => !GoValues.IsTrue(a[0]))
        .Add("len", 1, 1, a => Length(a[0]))
        .Add("index", 1, -1, Index)
        .Add("slice", 1, 4, Slice)
        .Add("print", 0, -1, a => Sprint(a))
        .Add("println", 0, -1, a => Sprintln(a))
        .Add("printf", 1, -1, a => Printf.Format(Str(a[0]), a.AsSpan(1)))
        .Add("eq", 1, -1, Eq)
        .Add("ne", 2, 2, a => !GoValues.Equal(a[0], a[1]))
        .Add("lt", 2, 2, a => Compare(a, "lt") < 0)
        .Add("le", 2, 2, a => Compare(a, "le") <= 0)
        .Add("gt", 2, 2, a => Compare(a, "gt") > 0)
        .Add("ge", 2, 2, a => Compare(a, "ge") >= 0)
        .Add("html", 0, -1, a => HtmlEscape(Sprint(a)))
        .Add("js", 0, -1, a => JsEscape(Sprint(a)))
        .Add("urlquery", 0, -1, a => Uri.EscapeDataString(Sprint(a)).Replace("%20", "+", StringComparison.Ordinal))
        .Add("call", 1, -1, _ => throw new FunctionException("call: template data holds no functions"));

    public static string Str(object? value) => value is string s ? s : GoValues.Print(value);

    public static long Length(object? value) => value switch
    {
        string s => Encoding.UTF8.GetByteCount(s),
        List<object?> list => list.Count,
        GoMap map => map.Entries.Count,
        null or NoValue or ZeroValue => 0,
        _ => throw new FunctionException($"len of type {GoValues.TypeName(value)}"),
    };

    private static object? Index(object?[] a)
    {
        var item = a[0];
        for (int i = 1; i < a.Length; i++)
        {
            var key = a[i];
            item = item switch
            {
                GoMap map => map.Entries.TryGetValue(Str(key), out var v) ? v : map.Missing,
                GoStruct s => s.Field(Str(key)),
                List<object?> list when GoValues.TryNumber(key, out var n) =>
                    n >= 0 && n < list.Count ? list[(int)n] : throw new FunctionException($"index out of range: {n}"),
                ZeroValue => ZeroValue.Instance,
                null or NoValue => throw new FunctionException("index of untyped nil"),
                _ => throw new FunctionException($"can't index item of type {GoValues.TypeName(item)}"),
            };
        }
        return item;
    }

    private static object? Slice(object?[] a)
    {
        int Arg(int i, int fallback) => i < a.Length && GoValues.TryNumber(a[i], out var n) ? (int)n : fallback;
        switch (a[0])
        {
            case string s:
                var bytes = Encoding.UTF8.GetBytes(s);
                int from = Arg(1, 0), to = Arg(2, bytes.Length);
                if (from < 0 || to > bytes.Length || from > to)
                {
                    throw new FunctionException($"slice indexes out of range [{from}:{to}]");
                }
                return Encoding.UTF8.GetString(bytes, from, to - from);
            case List<object?> list:
                int start = Arg(1, 0), end = Arg(2, list.Count);
                if (start < 0 || end > list.Count || start > end)
                {
                    throw new FunctionException($"slice indexes out of range [{start}:{end}]");
                }
                return list.GetRange(start, end - start);
            default:
                throw new FunctionException($"can't slice item of type {GoValues.TypeName(a[0])}");
        }
    }

    /// <summary>fmt.Sprint: spaces between operands when neither side is a string.</summary>
    public static string Sprint(ReadOnlySpan<object?> args)
    {
        if (args.Length == 1)
        {
            return GoValues.Print(args[0]);
        }
        var text = StringBuilderCache.Acquire();
        for (int i = 0; i < args.Length; i++)
        {
            if (i > 0 && args[i] is not string && args[i - 1] is not string)
            {
                text.Append(' ');
            }
            GoValues.Print(text, args[i]);
        }
        return StringBuilderCache.ToStringAndRelease(text);
    }

    private static string Sprintln(object?[] args)
    {
        var text = new StringBuilder();
        for (int i = 0; i < args.Length; i++)
        {
            if (i > 0)
            {
                text.Append(' ');
            }
            GoValues.Print(text, args[i]);
        }
        return text.Append('\n').ToString();
    }

    private static object Eq(object?[] a)
    {
        if (a.Length < 2)
        {
            throw new FunctionException("missing argument for comparison");
        }
        for (int i = 1; i < a.Length; i++)
        {
            if (GoValues.Equal(a[0], a[i]))
            {
                return true;
            }
        }
        return false;
    }

    private static int Compare(object?[] a, string name)
    {
        int result = GoValues.Compare(a[0], a[1], out bool comparable);
        if (!comparable)
        {
            throw new FunctionException($"incompatible types for comparison in {name}: {GoValues.TypeName(a[0])} and {GoValues.TypeName(a[1])}");
        }
        return result;
    }

    /// <summary>template.HTMLEscapeString: the five specials as numeric or named entities, NUL as U+FFFD.</summary>
    private static string HtmlEscape(string s)
    {
        var text = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            text.Append(c switch
            {
                '"' => "&#34;",
                '\'' => "&#39;",
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\0' => "\uFFFD",
                _ => c.ToString(),
            });
        }
        return text.ToString();
    }

    private static string JsEscape(string s)
    {
        var text = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': text.Append(@"\\"); break;
                case '\'': text.Append(@"\'"); break;
                case '"': text.Append("\\\""); break;
                case '<': text.Append("\\u003C"); break;
                case '>': text.Append("\\u003E"); break;
                case '&': text.Append("\\u0026"); break;
                case '=': text.Append("\\u003D"); break;
                case '\n': text.Append("\\u000A"); break;
                case '\r': text.Append("\\u000D"); break;
                case '\t': text.Append("\\u0009"); break;
                default:
                    if (c < ' ')
                    {
                        text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }
                    break;
            }
        }
        return text.ToString();
    }
}
