using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GoTemplates;

/// <summary>Converting data in and values out, with Go's fmt and comparison rules.</summary>
internal static class GoValues
{
    /// <summary>JSON data as free-form Go values (map[string]any): what .Values is.</summary>
    public static object? FromJson(JsonNode? node) => Convert(node, null, structs: false, stringMap: false);

    /// <summary>
    /// JSON of a Go struct (a Pod's metadata or spec): objects are structs, the fields
    /// <paramref name="model"/> names as maps are maps, and <paramref name="goType"/> names the struct's type.
    /// </summary>
    public static object? FromStructJson(JsonNode? node, IStructModel model, string? goType = null) =>
        Convert(node, model, structs: true, stringMap: false, goType);

    /// <summary>
    /// As <see cref="FromStructJson(JsonNode?, IStructModel, string?)"/>, from raw JSON: a pod's spec
    /// converted without first building a JSON node (a dictionary per object) for every part of it.
    /// </summary>
    public static object? FromStructJson(JsonElement element, IStructModel model, string? goType = null) =>
        Convert(element, model, structs: true, stringMap: false, goType);

    /// <summary>The fields of a struct's JSON object, converted as <see cref="FromStructJson(JsonElement, IStructModel, string?)"/> converts them.</summary>
    public static Dictionary<string, object?> StructFields(JsonElement element, IStructModel model, string? goType)
    {
        var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var k = property.Name;
            bool childIsMap = model.IsStringMapField(k);
            // Later keys win, as in a parsed JSON object.
            entries[k] = Convert(property.Value, model, !childIsMap, childIsMap, model.FieldType(goType, k));
        }
        return entries;
    }

    private static object? Convert(JsonElement element, IStructModel? model, bool structs, bool stringMap, string? goType = null)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object when structs && !stringMap:
                return GoStruct.FromJson(element, goType, model!);
            case JsonValueKind.Object:
                var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    var k = property.Name;
                    bool childIsMap = structs && model!.IsStringMapField(k);
                    // Later keys win, as in a parsed JSON object.
                    entries[k] = Convert(property.Value, model, structs && !childIsMap && !stringMap, childIsMap, model?.FieldType(goType, k));
                }
                return new GoMap(entries, stringMap ? "" : NoValue.Instance);
            case JsonValueKind.Array:
                var list = new List<object?>(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    list.Add(Convert(item, model, structs, stringMap: false, goType));
                }
                return list;
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number:
                return element.TryGetInt64(out var l) ? (structs ? l : (double)l)
                    : element.TryGetDouble(out var d) ? d
                    : double.Parse(element.GetRawText(), CultureInfo.InvariantCulture);
            default:
                return null;
        }
    }

    private static object? Convert(JsonNode? node, IStructModel? model, bool structs, bool stringMap, string? goType = null)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject o:
                var entries = new Dictionary<string, object?>(o.Count, StringComparer.Ordinal);
                foreach (var (k, v) in o)
                {
                    bool childIsMap = structs && model!.IsStringMapField(k);
                    entries[k] = Convert(v, model, structs && !childIsMap && !stringMap, childIsMap, model?.FieldType(goType, k));
                }
                if (structs && !stringMap)
                {
                    return new GoStruct(entries, goType, model);
                }
                return new GoMap(entries, stringMap ? "" : NoValue.Instance);
            case JsonArray a:
                var list = new List<object?>(a.Count);
                foreach (var item in a)
                {
                    list.Add(Convert(item, model, structs, stringMap: false, goType));
                }
                return list;
            default:
                var value = node.AsValue();
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => value.GetValue<string>(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    // encoding/json gives float64 for every number in map[string]any; struct fields are ints.
                    JsonValueKind.Number => value.TryGetValue<long>(out var l) ? (structs ? l : (double)l)
                        : value.TryGetValue<double>(out var d) ? d
                        : double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture),
                    _ => null,
                };
        }
    }

    /// <summary>Go values back to JSON (for toJson/toYaml and the like).</summary>
    public static JsonNode? ToJson(object? value) => value switch
    {
        null or NoValue => null,
        ZeroValue => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create((long)i),
        double d => JsonValue.Create(d),
        List<object?> list => ToJsonArray(list),
        GoMap map => ToJsonObject(map.Entries, sorted: true),
        // Go writes struct fields in declaration order; the pod's JSON order is the closest we know.
        GoStruct s => s.GoType is null || s.Model is null
            ? ToJsonObject(s.Fields, sorted: false)
            : s.Model.InFieldOrder(ToJsonObject(s.Fields, sorted: false), s.GoType),
        _ => JsonValue.Create(value.ToString()),
    };

    private static JsonArray ToJsonArray(List<object?> list)
    {
        var array = new JsonArray();
        foreach (var item in list)
        {
            array.Add(ToJson(item));
        }
        return array;
    }

    private static JsonObject ToJsonObject(Dictionary<string, object?> entries, bool sorted)
    {
        var o = new JsonObject();
        var keys = new List<string>(entries.Keys);
        if (sorted)
        {
            keys.Sort(StringComparer.Ordinal);
        }
        foreach (var k in keys)
        {
            o[k] = ToJson(entries[k]);
        }
        return o;
    }

    /// <summary>Go's truth: false, 0, nil, and empty strings, lists and maps are false.</summary>
    public static bool IsTrue(object? value) => value switch
    {
        null or NoValue or ZeroValue => false,
        bool b => b,
        long l => l != 0,
        int i => i != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        GoMap map => map.Entries.Count > 0,
        _ => true,
    };

    /// <summary>fmt.Sprint of one value (%v).</summary>
    public static string Print(object? value)
    {
        switch (value)
        {
            case string s:
                return s;
            case bool b:
                return b ? "true" : "false";
            case long l:
                return l.ToString(CultureInfo.InvariantCulture);
        }
        var text = StringBuilderCache.Acquire();
        Print(text, value);
        return StringBuilderCache.ToStringAndRelease(text);
    }

    public static void Print(StringBuilder text, object? value)
    {
        switch (value)
        {
            case null:
                text.Append("<nil>");
                break;
            case NoValue:
                text.Append("<no value>");
                break;
            case ZeroValue:
                break;
            case string s:
                text.Append(s);
                break;
            case bool b:
                text.Append(b ? "true" : "false");
                break;
            case long l:
                text.Append(CultureInfo.InvariantCulture, $"{l}");
                break;
            case int i:
                text.Append(CultureInfo.InvariantCulture, $"{i}");
                break;
            case double d:
                text.Append(FormatFloat(d));
                break;
            case List<object?> list:
                text.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(' ');
                    }
                    Print(text, list[i]);
                }
                text.Append(']');
                break;
            case GoMap map:
                text.Append("map[");
                bool first = true;
                foreach (var key in map.SortedKeys())
                {
                    if (!first)
                    {
                        text.Append(' ');
                    }
                    first = false;
                    text.Append(key).Append(':');
                    Print(text, map.Entries[key]);
                }
                text.Append(']');
                break;
            case GoStruct s:
                text.Append('{');
                bool firstField = true;
                foreach (var (k, v) in s.Fields)
                {
                    if (!firstField)
                    {
                        text.Append(' ');
                    }
                    firstField = false;
                    text.Append(k).Append(':');
                    Print(text, v);
                }
                text.Append('}');
                break;
            default:
                text.Append(value);
                break;
        }
    }

    /// <summary>strconv.FormatFloat(f, 'g', -1, 64), which %v uses for float64.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "+Inf";
        if (double.IsNegativeInfinity(d)) return "-Inf";
        if (d == 0) return double.IsNegative(d) ? "-0" : "0";
        var shortest = d.ToString("R", CultureInfo.InvariantCulture);
        var e = shortest.IndexOfAny(['E', 'e']);
        string mantissa = e >= 0 ? shortest[..e] : shortest;
        int exponent = e >= 0 ? int.Parse(shortest[(e + 1)..], CultureInfo.InvariantCulture) : 0;
        // Normalise to digits and a decimal exponent.
        bool negative = mantissa.StartsWith('-');
        mantissa = mantissa.TrimStart('-');
        int point = mantissa.IndexOf('.');
        string digits = mantissa.Replace(".", "", StringComparison.Ordinal);
        int intDigits = point >= 0 ? point : mantissa.Length;
        int leadingZeros = 0;
        while (leadingZeros < digits.Length - 1 && digits[leadingZeros] == '0')
        {
            leadingZeros++;
        }
        digits = digits[leadingZeros..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int decimalExponent = intDigits - leadingZeros + exponent - 1;
        var sign = negative ? "-" : "";
        // Go's %v (strconv 'g', shortest): exponent form when exp < -4 || exp >= 6, so 1e6 prints "1e+06".
        if (decimalExponent < -4 || decimalExponent >= 6)
        {
            var m = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
            return $"{sign}{m}e{(decimalExponent < 0 ? "-" : "+")}{Math.Abs(decimalExponent):00}";
        }
        if (decimalExponent < 0)
        {
            return sign + "0." + new string('0', -decimalExponent - 1) + digits;
        }
        if (digits.Length <= decimalExponent + 1)
        {
            return sign + digits + new string('0', decimalExponent + 1 - digits.Length);
        }
        return sign + digits[..(decimalExponent + 1)] + "." + digits[(decimalExponent + 1)..];
    }

    public static bool TryNumber(object? value, out double number)
    {
        switch (value)
        {
            case long l: number = l; return true;
            case int i: number = i; return true;
            case double d: number = d; return true;
            default: number = 0; return false;
        }
    }

    /// <summary>Go's eq for basic values (numbers compare by value across int and float).</summary>
    public static bool Equal(object? a, object? b)
    {
        if (a is ZeroValue) a = ZeroOf(b);
        if (b is ZeroValue) b = ZeroOf(a);
        if (TryNumber(a, out var x) && TryNumber(b, out var y))
        {
            return x == y;
        }
        return (a, b) switch
        {
            (null or NoValue, null or NoValue) => true,
            (string s, string t) => s == t,
            (bool p, bool q) => p == q,
            _ => false,
        };
    }

    private static object? ZeroOf(object? other) => other switch
    {
        string => "",
        bool => false,
        long or int => 0L,
        double => 0.0,
        _ => null,
    };

    public static int Compare(object? a, object? b, out bool comparable)
    {
        comparable = true;
        if (a is ZeroValue) a = ZeroOf(b);
        if (b is ZeroValue) b = ZeroOf(a);
        if (TryNumber(a, out var x) && TryNumber(b, out var y))
        {
            return x.CompareTo(y);
        }
        if (a is string s && b is string t)
        {
            return string.CompareOrdinal(s, t);
        }
        comparable = false;
        return 0;
    }

    public static string TypeName(object? value) => value switch
    {
        null => "nil",
        NoValue => "<no value>",
        ZeroValue => "zero value",
        string => "string",
        bool => "bool",
        long or int => "int",
        double => "float64",
        List<object?> => "[]interface {}",
        GoMap => "map[string]interface {}",
        GoStruct => "struct",
        _ => value.GetType().Name,
    };
}
