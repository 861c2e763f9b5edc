namespace GoTemplates;

/// <summary>
/// A part of one argument a function reads: <see cref="Path"/> below argument
/// <see cref="Argument"/> (0-based), each segment a field or map key, <c>*</c> for every element,
/// or <c>$N</c> for the literal string passed as argument N (<c>isset $map "key"</c> reads
/// <c>["$1"]</c> of argument 0). When argument N is not a literal, the read stops at that segment.
/// </summary>
internal sealed record ArgumentRead(int Argument, params string[] Path);
