namespace GoTemplates;

/// <summary>
/// A Go struct seen through its JSON form: fields by Go name (<c>.Spec.Containers</c> reads
/// <c>spec.containers</c>); a field the JSON omits is its zero value.
/// </summary>
internal sealed class GoStruct(Dictionary<string, object?> fields, string? goType = null, IStructModel? model = null)
{
    public Dictionary<string, object?> Fields { get; } = fields;

    /// <summary>The struct's type (Container, Probe…), when known: with the model it fixes the JSON field order.</summary>
    public string? GoType { get; } = goType;

    /// <summary>What the caller's program knows of its structs (the engine knows none of them).</summary>
    public IStructModel? Model { get; } = model;

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
