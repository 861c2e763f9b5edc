namespace GoTemplates;

/// <summary>
/// A Go map: key lookup, keys ranged in sorted order. <see cref="Missing"/> is what a missing key
/// gives (<see cref="NoValue"/> for map[string]any, "" for map[string]string).
/// </summary>
internal sealed class GoMap(Dictionary<string, object?> entries, object? missing)
{
    public Dictionary<string, object?> Entries { get; } = entries;
    public object? Missing { get; } = missing;

    public List<string> SortedKeys()
    {
        var keys = new List<string>(Entries.Keys);
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }
}
