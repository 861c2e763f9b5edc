namespace GoTemplates;

/// <summary>An error raised by a function, reported by the evaluator with the template position.</summary>
internal sealed class FunctionException(string message) : Exception(message);
