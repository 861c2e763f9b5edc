namespace GoTemplates;

/// <summary>
/// A Go map: key lookup, keys ranged in sorted order. <see cref="Missing"/> is what a missing key
/// gives (<see cref="NoValue"/> for map[string]any, "" for map[string]string). Never changed once
/// built: template functions make new maps (dict, merge, omit), none writes into one.
/// </summary>
internal sealed class GoMap(Dictionary<string, object?> entries, object? missing)
{
    public Dictionary<string, object?> Entries { get; } = entries;
    public object? Missing { get; } = missing;

    /// <summary>The last value <see cref="Derived"/> made, and the function it was made by.</summary>
    private Tuple<Func<GoMap, string>, string>? _derived;

    /// <summary>
    /// <paramref name="derive"/>'s text for this map, made once and kept with it (the last function asked
    /// is kept). The config's values are the same maps for every pod, so a text made from them (toYaml
    /// of the proxy's resources) need not be made again per render; a pod's own maps die with its data.
    /// </summary>
    public string Derived(Func<GoMap, string> derive)
    {
        if (Volatile.Read(ref _derived) is { } kept && ReferenceEquals(kept.Item1, derive))
        {
            return kept.Item2;
        }
        var text = derive(this);
        Volatile.Write(ref _derived, Tuple.Create(derive, text));
        return text;
    }

    public List<string> SortedKeys()
    {
        var keys = new List<string>(Entries.Keys);
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }
}
