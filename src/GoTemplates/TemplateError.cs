namespace GoTemplates;

/// <summary>A Go-template error at parse or execution time, located as Go does: "template: NAME:LINE:COL: message".</summary>
internal sealed class TemplateError(string template, int line, int column, string message)
    : Exception(column > 0 ? $"template: {template}:{line}:{column}: {message}" : $"template: {template}:{line}: {message}")
{
    public string Template { get; } = template;
    public int Line { get; } = line;
    public int Column { get; } = column;
    public string Detail { get; } = message;
}
