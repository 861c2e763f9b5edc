namespace SidecarInjector.Configuration;

/// <summary>A configuration problem, located by file, line and column (1-based; 0 when unknown).</summary>
internal sealed class ConfigException(string source, int line, int column, string message)
    : Exception(Format(source, line, column, message))
{
    public int Line { get; } = line;
    public int Column { get; } = column;

    private static string Format(string source, int line, int column, string message) =>
        line > 0 ? $"{source}:{line}:{column}: {message}" : $"{source}: {message}";
}
