namespace SidecarInjector.Metrics;

/// <summary>
/// A tag set seen before, with what it was resolved to: a measurement whose tags equal it, key for
/// key and value for value, skips formatting its labels and the dictionary lookup. Only values that
/// compare exactly and format one way (strings, integers, booleans) are kept, and a series keeps at
/// most <see cref="Limit"/> sets: tags with many values (a reason, a template) fall back to the lookup.
/// </summary>
internal readonly struct KnownTags<T>(KeyValuePair<string, object?>[] tags, T resolved)
    where T : class
{
    public const int Limit = 16;

    private readonly KeyValuePair<string, object?>[] _tags = tags;
    private readonly T _resolved = resolved;

    public static T? Find(KnownTags<T>[] known, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var entry in known)
        {
            if (entry.Matches(tags))
            {
                return entry._resolved;
            }
        }
        return null;
    }

    /// <summary>Adds the set (copy on write) unless it holds a value that does not compare exactly or the list is full; losing a race only means not kept.</summary>
    public static void TryAdd(ref KnownTags<T>[] known, ReadOnlySpan<KeyValuePair<string, object?>> tags, T resolved)
    {
        var current = Volatile.Read(ref known);
        if (current.Length >= Limit)
        {
            return;
        }
        foreach (var tag in tags)
        {
            if (tag.Value is not (null or string or int or long or bool))
            {
                return;
            }
        }
        var grown = new KnownTags<T>[current.Length + 1];
        current.CopyTo(grown, 0);
        grown[^1] = new KnownTags<T>(tags.ToArray(), resolved);
        Interlocked.CompareExchange(ref known, grown, current);
    }

    private bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length != _tags.Length)
        {
            return false;
        }
        for (int i = 0; i < tags.Length; i++)
        {
            if (!string.Equals(tags[i].Key, _tags[i].Key, StringComparison.Ordinal) || !SameValue(_tags[i].Value, tags[i].Value))
            {
                return false;
            }
        }
        return true;
    }

    private static bool SameValue(object? kept, object? value) => kept switch
    {
        null => value is null,
        string s => value is string v && string.Equals(s, v, StringComparison.Ordinal),
        int i => value is int v && i == v,
        long l => value is long v && l == v,
        bool b => value is bool v && b == v,
        _ => false,
    };
}
