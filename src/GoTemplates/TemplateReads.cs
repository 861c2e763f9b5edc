namespace GoTemplates;

/// <summary>
/// What a template may read of its data, found from its parse tree without running it: paths from
/// the data's root (<c>["ObjectMeta", "Labels", "app"]</c>, <c>*</c> for every element), each read
/// in full. Conservative: whatever the analysis cannot follow counts as read, and a template that
/// hands its whole data to a function reads <see cref="Everything"/>. Values read only for their
/// truth (<c>if</c>, <c>with</c>, <c>not</c>) are not counted: callers use this for values whose truth
/// is the same for every input they compare (non-empty strings).
/// </summary>
internal sealed class TemplateReads
{
    private readonly List<string[]> _paths;

    /// <summary>Each path's segments by the names they may match (as written, JSON name, getter's field), found once.</summary>
    private readonly List<string[][]> _names;

    internal TemplateReads(bool everything, List<string[]> paths)
    {
        Everything = everything;
        _paths = paths;
        _names = new List<string[][]>(paths.Count);
        foreach (var path in paths)
        {
            var names = new string[path.Length][];
            for (int i = 0; i < path.Length; i++)
            {
                names[i] = NamesOf(path[i]);
            }
            _names.Add(names);
        }
    }

    public static TemplateReads Nothing { get; } = new(false, []);

    /// <summary>True when the template may read any part of its data.</summary>
    public bool Everything { get; }

    public IReadOnlyList<string[]> Paths => _paths;

    /// <summary>
    /// True when the template may read the value at <paramref name="location"/> (segments as the data
    /// names them: struct fields by Go or JSON name, map keys as they are, <c>*</c> for any element),
    /// or a part of it, or a value it lies inside.
    /// </summary>
    public bool MayRead(params string[] location)
    {
        if (Everything)
        {
            return true;
        }
        foreach (var path in _names)
        {
            if (Overlaps(path, location))
            {
                return true;
            }
        }
        return false;
    }

    private static bool Overlaps(string[][] read, string[] location)
    {
        int common = Math.Min(read.Length, location.Length);
        for (int i = 0; i < common; i++)
        {
            if (location[i] != "*" && read[i][0] != "*" && Array.IndexOf(read[i], location[i]) < 0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The data names a template's field name matches: itself, its JSON name, and for a protobuf
    /// getter (GetTracing) the field's; <c>*</c> matches any.
    /// </summary>
    private static string[] NamesOf(string read)
    {
        if (read == "*")
        {
            return ["*"];
        }
        var names = new List<string> { read, GoStruct.JsonName(read) };
        if (read.Length > 3 && read.StartsWith("Get", StringComparison.Ordinal) && char.IsUpper(read[3]))
        {
            names.Add(read[3..]);
            names.Add(GoStruct.JsonName(read[3..]));
        }
        return [.. names];
    }

    public override string ToString() => Everything ? "everything" : string.Join(", ", _paths.Select(p => p.Length == 0 ? "." : "." + string.Join('.', p)));
}
