namespace SidecarInjector.Errors;

/// <summary>A configuration problem, located by file, line and column (1-based; 0 when unknown).</summary>
internal sealed class ConfigException(string source, int line, int column, string message)
    : Exception(Format(source, line, column, message))
{
    /// <summary>The file (or document) the problem is in.</summary>
    public string Origin { get; } = source;

    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>What is wrong, without the location.</summary>
    public string Detail { get; } = message;

    private static string Format(string source, int line, int column, string message) =>
        line > 0 ? $"{source}:{line}:{column}: {message}" : $"{source}: {message}";
}
