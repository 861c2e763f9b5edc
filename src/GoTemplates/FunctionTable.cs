namespace GoTemplates;

/// <summary>The functions a template may call, known at parse time.</summary>
internal sealed class FunctionTable
{
    private readonly Dictionary<string, (TemplateFunction Function, int MinArgs, int MaxArgs)> _functions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ArgumentRead[]> _reads = new(StringComparer.Ordinal);

    /// <summary>Registers a function; <paramref name="maxArgs"/> -1 means variadic.</summary>
    public FunctionTable Add(string name, int minArgs, int maxArgs, TemplateFunction function)
    {
        _functions[name] = (function, minArgs, maxArgs);
        return this;
    }

    /// <summary>
    /// Declares that <paramref name="name"/> reads only these parts of its arguments (see
    /// <see cref="ArgumentRead"/>); arguments it declares nothing for are read in full. Without a
    /// declaration, a function reads every argument in full (<see cref="TemplateReads"/>).
    /// </summary>
    public FunctionTable DeclareReads(string name, params ArgumentRead[] reads)
    {
        _reads[name] = reads;
        return this;
    }

    /// <summary>What <paramref name="name"/> reads of its arguments, when declared.</summary>
    public ArgumentRead[]? ReadsOf(string name) => _reads.GetValueOrDefault(name);

    public bool Contains(string name) => _functions.ContainsKey(name) || IsControlFunction(name);

    public bool TryGet(string name, out (TemplateFunction Function, int MinArgs, int MaxArgs) entry) => _functions.TryGetValue(name, out entry);

    /// <summary>and/or short-circuit and are evaluated by the evaluator itself.</summary>
    public static bool IsControlFunction(string name) => name is "and" or "or";
}
