using System.Text.Json;

namespace GoTemplates;

/// <summary>
/// A Go struct seen through its JSON form: fields by Go name (<c>.Spec.Containers</c> reads
/// <c>spec.containers</c>); a field the JSON omits is its zero value.
/// </summary>
/// <remarks>
/// A struct read from raw JSON (<see cref="FromJson"/>) converts its fields when first asked for
/// them: a template reads a few fields of a pod, and a container's 2,000 env vars, each a struct of
/// its own, need never become dictionaries. The raw JSON is immutable, so the fields are the same
/// whenever they are made; a struct is read by one render on one thread.
/// </remarks>
internal sealed class GoStruct
{
    private Dictionary<string, object?>? _fields;
    private readonly JsonElement _source;

    public GoStruct(Dictionary<string, object?> fields, string? goType = null, IStructModel? model = null)
    {
        _fields = fields;
        GoType = goType;
        Model = model;
    }

    private GoStruct(JsonElement source, string? goType, IStructModel model)
    {
        _source = source;
        GoType = goType;
        Model = model;
    }

    /// <summary>The struct a JSON object holds, its fields converted on first use.</summary>
    public static GoStruct FromJson(JsonElement source, string? goType, IStructModel model) => new(source, goType, model);

    public Dictionary<string, object?> Fields => _fields ??= GoValues.StructFields(_source, Model!, GoType);

    /// <summary>The struct's type (Container, Probe…), when known: with the model it fixes the JSON field order.</summary>
    public string? GoType { get; }

    /// <summary>What the caller's program knows of its structs (the engine knows none of them).</summary>
    public IStructModel? Model { get; }

    public object? Field(string goName)
    {
        if (Fields.TryGetValue(goName, out var value) || Fields.TryGetValue(JsonName(goName), out value))
        {
            return value;
        }
        // Protobuf getters (GetTracing, GetTlsSettings) read the field of the same name.
        if (goName.Length > 3 && goName.StartsWith("Get", StringComparison.Ordinal) && char.IsUpper(goName[3]))
        {
            return Field(goName[3..]);
        }
        return ZeroValue.Instance;
    }

    /// <summary>Go field name → JSON name: lower the leading capital run (HTTPGet → httpGet, ID → id).</summary>
    public static string JsonName(string goName)
    {
        int upper = 0;
        while (upper < goName.Length && char.IsUpper(goName[upper]))
        {
            upper++;
        }
        if (upper == 0)
        {
            return goName;
        }
        // In "HTTPGet" the run is HTTPG: the last capital starts the next word.
        int lower = upper == goName.Length || upper == 1 ? upper : upper - 1;
        return goName[..lower].ToLowerInvariant() + goName[lower..];
    }
}
