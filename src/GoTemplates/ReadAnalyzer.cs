namespace GoTemplates;

/// <summary>
/// Finds <see cref="TemplateReads"/> by walking the parse tree with abstract values: a value is
/// either the set of data paths it may be (a field chain from dot, <c>$</c> or a variable; a range's
/// element adds <c>*</c>) or a derived value (a literal, a function's result) whose inputs were
/// counted when the function read them. A path is counted as read where its value is used: printed,
/// compared, passed to a function (in full, or as the function declares). Variables are followed
/// without regard to order (every value a variable is ever given), repeated until nothing changes.
/// For a key (<c>forKey</c>: what a render may depend on at all), values tested for truth (if, with,
/// and, or, not) count as read too, and a range reads its collection's length and keys (a path
/// ending in <c>#</c>) besides what its body reads of each element.
/// </summary>
internal sealed class ReadAnalyzer
{
    /// <summary>Paths one value may be, and passes over the tree, before the analysis gives up (reads everything).</summary>
    private const int MaxPathsPerValue = 256;
    private const int MaxPasses = 16;
    private const int MaxTemplateContexts = 4096;

    private readonly IReadOnlyDictionary<string, ListNode> _templates;
    private readonly FunctionTable _functions;
    private readonly Dictionary<string, List<string[]>> _variables = new(StringComparer.Ordinal);
    private readonly HashSet<string> _readKeys = new(StringComparer.Ordinal);
    private readonly List<string[]> _reads = [];
    private readonly HashSet<string> _analyzedCalls = new(StringComparer.Ordinal);
    private bool _everything;
    private bool _variablesChanged;
    private readonly bool _forKey;

    /// <summary>The segment that stands for a collection's length and keys: what a range depends on besides its elements.</summary>
    public const string LengthSegment = "#";

    private ReadAnalyzer(IReadOnlyDictionary<string, ListNode> templates, FunctionTable functions, bool forKey)
    {
        _templates = templates;
        _functions = functions;
        _forKey = forKey;
    }

    public static TemplateReads Analyze(ListNode root, IReadOnlyDictionary<string, ListNode> templates, FunctionTable functions, bool forKey = false)
    {
        var analyzer = new ReadAnalyzer(templates, functions, forKey);
        List<string[]> data = [[]];
        for (int pass = 0; ; pass++)
        {
            if (pass == MaxPasses)
            {
                return new TemplateReads(true, []);
            }
            analyzer._variablesChanged = false;
            analyzer._analyzedCalls.Clear();
            analyzer.Walk(data, data, root);
            if (analyzer._everything)
            {
                return new TemplateReads(true, []);
            }
            if (!analyzer._variablesChanged)
            {
                return new TemplateReads(false, analyzer._reads);
            }
        }
    }

    private void Walk(List<string[]>? dot, List<string[]>? root, Node node)
    {
        if (_everything)
        {
            return;
        }
        switch (node)
        {
            case ListNode list:
                foreach (var child in list.Nodes)
                {
                    Walk(dot, root, child);
                }
                break;
            case ActionNode action:
                var printed = EvalPipeline(dot, root, action.Pipe);
                if (action.Pipe.Variables.Count == 0)
                {
                    Read(printed);
                }
                break;
            case BranchNode { Kind: BranchKind.Range } range:
                var ranged = EvalPipeline(dot, root, range.Pipe with { Variables = [] });
                if (_forKey)
                {
                    // How many times the body runs (and, over a map, with which keys).
                    Read(Extend(ranged, [LengthSegment]));
                }
                var element = Extend(ranged, ["*"]);
                if (range.Pipe.Variables.Count == 1)
                {
                    Bind(range.Pipe.Variables[0], element);
                }
                else if (range.Pipe.Variables.Count == 2)
                {
                    // The key or index is derived (map keys are compared in full by callers).
                    Bind(range.Pipe.Variables[1], element);
                }
                Walk(element, root, range.List);
                if (range.Else is not null)
                {
                    Walk(dot, root, range.Else);
                }
                break;
            case BranchNode branch:
                var tested = EvalPipeline(dot, root, branch.Pipe);
                if (_forKey)
                {
                    Read(tested);
                }
                Walk(branch.Kind == BranchKind.With ? tested : dot, root, branch.List);
                if (branch.Else is not null)
                {
                    Walk(dot, root, branch.Else);
                }
                break;
            case TemplateNode call:
                var argument = call.Pipe is null ? null : EvalPipeline(dot, root, call.Pipe);
                if (!_templates.TryGetValue(call.Name, out var body))
                {
                    return;
                }
                // Each template once per distinct dot and pass: the analysis ignores order, so a second
                // walk with the same dot finds nothing new (and a recursive template ends).
                var key = call.Name + "\u0000" + Describe(argument);
                if (_analyzedCalls.Add(key))
                {
                    if (_analyzedCalls.Count > MaxTemplateContexts)
                    {
                        _everything = true;
                        return;
                    }
                    Walk(argument, argument, body);
                }
                break;
        }
    }

    private List<string[]>? EvalPipeline(List<string[]>? dot, List<string[]>? root, PipeNode pipe)
    {
        List<string[]>? value = null;
        bool hasFinal = false;
        foreach (var command in pipe.Commands)
        {
            value = EvalCommand(dot, root, command, value, hasFinal);
            hasFinal = true;
        }
        foreach (var name in pipe.Variables)
        {
            Bind(name, value);
        }
        return value;
    }

    private List<string[]>? EvalCommand(List<string[]>? dot, List<string[]>? root, CommandNode command, List<string[]>? final, bool hasFinal)
    {
        if (command.Args[0] is IdentifierNode function)
        {
            return CallFunction(dot, root, function.Name, command.Args, final, hasFinal);
        }
        if (hasFinal)
        {
            // A value piped into a field or literal is an error when run; counted read all the same.
            Read(final);
        }
        return EvalArg(dot, root, command.Args[0]);
    }

    private List<string[]>? EvalArg(List<string[]>? dot, List<string[]>? root, Node node) => node switch
    {
        DotNode => dot,
        FieldNode field => Extend(dot, field.Names),
        VariableNode variable => Extend(Variable(variable.Name, root), variable.Fields),
        ChainNode chain => Extend(EvalArg(dot, root, chain.Target), chain.Fields),
        PipeNode pipe => EvalPipeline(dot, root, pipe),
        IdentifierNode function => CallFunction(dot, root, function.Name, [function], null, false),
        _ => null,
    };

    private List<string[]>? CallFunction(List<string[]>? dot, List<string[]>? root, string name, List<Node> args, List<string[]>? final, bool hasFinal)
    {
        int count = args.Count - 1 + (hasFinal ? 1 : 0);
        var values = new List<string[]>?[count];
        for (int i = 1; i < args.Count; i++)
        {
            values[i - 1] = EvalArg(dot, root, args[i]);
        }
        if (hasFinal)
        {
            values[count - 1] = final;
        }
        Node? LiteralAt(int argument) => argument + 1 < args.Count ? args[argument + 1] : null;

        switch (name)
        {
            case "and" or "or":
                // Each argument is tested for truth and one of them is the result.
                if (_forKey)
                {
                    ReadAll(values);
                }
                List<string[]>? any = null;
                foreach (var value in values)
                {
                    any = Union(any, value);
                }
                return any;
            case "not":
                if (_forKey)
                {
                    ReadAll(values);
                }
                return null;
            case "index" when count >= 1 && values[0] is not null:
                var keys = new string[count - 1];
                for (int i = 1; i < count; i++)
                {
                    switch (LiteralAt(i))
                    {
                        case LiteralNode { Value: string text }:
                            keys[i - 1] = text;
                            break;
                        case LiteralNode { Value: long }:
                            keys[i - 1] = "*";
                            break;
                        default:
                            ReadAll(values);
                            return null;
                    }
                }
                return Extend(values[0], keys);
        }
        var declared = _functions.ReadsOf(name);
        for (int i = 0; i < count; i++)
        {
            bool any = false;
            if (declared is not null)
            {
                foreach (var read in declared)
                {
                    if (read.Argument == i)
                    {
                        any = true;
                        Read(Extend(values[i], Resolve(read.Path, LiteralAt)));
                    }
                }
            }
            if (!any)
            {
                Read(values[i]);
            }
        }
        return null;
    }

    /// <summary>A declared path with <c>$N</c> replaced by argument N's literal; it stops at a non-literal.</summary>
    private static string[] Resolve(string[] path, Func<int, Node?> literalAt)
    {
        var resolved = new List<string>(path.Length);
        foreach (var segment in path)
        {
            if (segment.Length > 1 && segment[0] == '$' && int.TryParse(segment.AsSpan(1), out int argument))
            {
                if (literalAt(argument) is not LiteralNode { Value: string literal })
                {
                    break;
                }
                resolved.Add(literal);
            }
            else
            {
                resolved.Add(segment);
            }
        }
        return [.. resolved];
    }

    private List<string[]>? Variable(string name, List<string[]>? root) =>
        name == "$" ? root : _variables.GetValueOrDefault(name);

    private void Bind(string name, List<string[]>? value)
    {
        if (value is null || name == "$")
        {
            return;
        }
        if (!_variables.TryGetValue(name, out var paths))
        {
            paths = [];
            _variables[name] = paths;
        }
        foreach (var path in value)
        {
            if (!Contains(paths, path))
            {
                paths.Add(path);
                _variablesChanged = true;
                if (paths.Count > MaxPathsPerValue)
                {
                    _everything = true;
                    return;
                }
            }
        }
    }

    private void ReadAll(List<string[]>?[] values)
    {
        foreach (var value in values)
        {
            Read(value);
        }
    }

    private void Read(List<string[]>? value)
    {
        if (value is null)
        {
            return;
        }
        foreach (var path in value)
        {
            if (path.Length == 0)
            {
                // The whole data (or a template's whole dot) handed on.
                _everything = true;
                return;
            }
            if (_readKeys.Add(string.Join('\u0000', path)))
            {
                _reads.Add(path);
            }
        }
    }

    private static List<string[]>? Extend(List<string[]>? value, string[] names)
    {
        if (value is null || names.Length == 0)
        {
            return value;
        }
        var extended = new List<string[]>(value.Count);
        foreach (var path in value)
        {
            extended.Add([.. path, .. names]);
        }
        return extended;
    }

    private List<string[]>? Union(List<string[]>? a, List<string[]>? b)
    {
        if (a is null)
        {
            return b;
        }
        if (b is null)
        {
            return a;
        }
        var union = new List<string[]>(a);
        foreach (var path in b)
        {
            if (!Contains(union, path))
            {
                union.Add(path);
            }
        }
        if (union.Count > MaxPathsPerValue)
        {
            _everything = true;
        }
        return union;
    }

    private static bool Contains(List<string[]> paths, string[] path)
    {
        foreach (var p in paths)
        {
            if (p.AsSpan().SequenceEqual(path))
            {
                return true;
            }
        }
        return false;
    }

    private static string Describe(List<string[]>? value) =>
        value is null ? "derived" : string.Join('\u0001', value.Select(p => string.Join('\u0000', p)).Order(StringComparer.Ordinal));
}
