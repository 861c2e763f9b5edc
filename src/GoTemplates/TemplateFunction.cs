namespace GoTemplates;

/// <summary>A template function: arguments in, a value out; throw <see cref="FunctionException"/> for a user error.</summary>
internal delegate object? TemplateFunction(object?[] args);
