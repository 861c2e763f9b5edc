namespace GoTemplates;

/// <summary>
/// The zero value of a struct field the data does not set (JSON omits empty fields): prints as
/// "", is false, has length 0, ranges over nothing, and its own fields are zero too.
/// </summary>
internal sealed class ZeroValue
{
    public static readonly ZeroValue Instance = new();
    private ZeroValue() { }
    public override string ToString() => "";
}
