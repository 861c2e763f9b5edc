using System.Text;

namespace GoTemplates;

/// <summary>
/// Executes a parsed template with Go text/template's semantics: dot, variables ($ is the data),
/// pipelines (the previous result is the last argument), if/with/range/else, break/continue,
/// template calls, and "missingkey=default" map lookups.
/// </summary>
internal sealed class Evaluator
{
    private const int MaxTemplateDepth = 100;

    /// <summary>A pod fragment is kilobytes; a template that writes more than this is broken or hostile.</summary>
    internal const int MaxOutputChars = 4 * 1024 * 1024;

    /// <summary>
    /// The largest string a function may make. Every intermediate value is held beside the output,
    /// so this is smaller: a string that doubles stops at 2 MB instead of growing to 8 MB with its
    /// halves and builders beside it (inside the pod's 128 MiB, a config's dry run must not crowd
    /// out the reviews being answered).
    /// </summary>
    internal const int MaxValueChars = 1024 * 1024;

    /// <summary>Loop iterations one execution may run: enough for any pod, not for a runaway range.</summary>
    internal const int MaxIterations = 1_000_000;

    /// <summary>
    /// Commands and template calls one execution may evaluate. Istio's sidecar template takes a few
    /// thousand per pod; a template that calls itself twice per level would take 2^depth.
    /// </summary>
    internal const long MaxSteps = 5_000_000;

    private long _steps;

    private int _iterations;

    private readonly string _name;
    private readonly string _text;
    private readonly IReadOnlyDictionary<string, ListNode> _templates;
    private readonly FunctionTable _functions;
    private readonly StringBuilder _output;
    private readonly List<(string Name, object? Value)> _variables = [];
    private int _depth;

    private sealed class BreakSignal : Exception;
    private sealed class ContinueSignal : Exception;

    private Evaluator(string name, string text, IReadOnlyDictionary<string, ListNode> templates, FunctionTable functions, StringBuilder output)
    {
        _name = name;
        _text = text;
        _templates = templates;
        _functions = functions;
        _output = output;
    }

    public static void Execute(string name, string text, ListNode root, IReadOnlyDictionary<string, ListNode> templates,
        FunctionTable functions, object? data, StringBuilder output)
    {
        var evaluator = new Evaluator(name, text, templates, functions, output);
        evaluator._variables.Add(("$", data));
        evaluator.Walk(data, root);
    }

    private void Walk(object? dot, Node node)
    {
        switch (node)
        {
            case ListNode list:
                foreach (var child in list.Nodes)
                {
                    Walk(dot, child);
                }
                break;
            case TextNode text:
                _output.Append(text.Text);
                CheckOutput(text);
                break;
            case ActionNode action:
                var value = EvalPipeline(dot, action.Pipe);
                if (action.Pipe.Variables.Count == 0)
                {
                    GoValues.Print(_output, value);
                    CheckOutput(action);
                }
                break;
            case BranchNode { Kind: BranchKind.Range } range:
                WalkRange(dot, range);
                break;
            case BranchNode branch:
                WalkIfOrWith(dot, branch);
                break;
            case TemplateNode call:
                WalkTemplate(dot, call);
                break;
            case BreakNode:
                throw new BreakSignal();
            case ContinueNode:
                throw new ContinueSignal();
            default:
                throw Error(node, "unknown node");
        }
    }

    private void CheckOutput(Node at)
    {
        if (_output.Length > MaxOutputChars)
        {
            throw Error(at, $"output is larger than {MaxOutputChars} characters");
        }
    }

    private void WalkIfOrWith(object? dot, BranchNode branch)
    {
        int mark = _variables.Count;
        var value = EvalPipeline(dot, branch.Pipe);
        try
        {
            if (GoValues.IsTrue(value))
            {
                Walk(branch.Kind == BranchKind.With ? value : dot, branch.List);
            }
            else if (branch.Else is not null)
            {
                Walk(dot, branch.Else);
            }
        }
        finally
        {
            _variables.RemoveRange(mark, _variables.Count - mark);
        }
    }

    private void WalkRange(object? dot, BranchNode range)
    {
        int mark = _variables.Count;
        var pipe = range.Pipe;
        var value = EvalPipeline(dot, pipe with { Variables = [] });
        // The range variables are declared once and set per element.
        foreach (var name in pipe.Variables)
        {
            _variables.Add((name, null));
        }
        try
        {
            bool any = false;
            void Body(object? key, object? element)
            {
                any = true;
                if (++_iterations > MaxIterations)
                {
                    throw Error(range, $"more than {MaxIterations} loop iterations");
                }
                if (pipe.Variables.Count == 1)
                {
                    _variables[mark] = (pipe.Variables[0], element);
                }
                else if (pipe.Variables.Count == 2)
                {
                    _variables[mark] = (pipe.Variables[0], key);
                    _variables[mark + 1] = (pipe.Variables[1], element);
                }
                int inner = _variables.Count;
                try
                {
                    Walk(element, range.List);
                }
                finally
                {
                    _variables.RemoveRange(inner, _variables.Count - inner);
                }
            }
            try
            {
                switch (value)
                {
                    case List<object?> list:
                        for (int i = 0; i < list.Count; i++)
                        {
                            try { Body((long)i, list[i]); } catch (ContinueSignal) { }
                        }
                        break;
                    case GoMap map:
                        foreach (var key in map.SortedKeys())
                        {
                            try { Body(key, map.Entries[key]); } catch (ContinueSignal) { }
                        }
                        break;
                    case long count:
                        for (long i = 0; i < count; i++)
                        {
                            try { Body(i, i); } catch (ContinueSignal) { }
                        }
                        break;
                    case null or NoValue or ZeroValue:
                        break;
                    default:
                        throw Error(range, $"range can't iterate over {GoValues.Print(value)}");
                }
            }
            catch (BreakSignal)
            {
            }
            if (!any && range.Else is not null)
            {
                Walk(dot, range.Else);
            }
        }
        finally
        {
            _variables.RemoveRange(mark, _variables.Count - mark);
        }
    }

    private void WalkTemplate(object? dot, TemplateNode call)
    {
        if (!_templates.TryGetValue(call.Name, out var body))
        {
            throw Error(call, $"no such template \"{call.Name}\"");
        }
        Step(call);
        if (++_depth > MaxTemplateDepth)
        {
            throw Error(call, "exceeded maximum template depth (" + MaxTemplateDepth + ")");
        }
        var newDot = call.Pipe is null ? null : EvalPipeline(dot, call.Pipe);
        var saved = _variables.ToArray();
        _variables.Clear();
        _variables.Add(("$", newDot));
        try
        {
            Walk(newDot, body);
        }
        finally
        {
            _variables.Clear();
            _variables.AddRange(saved);
            _depth--;
        }
    }

    private object? EvalPipeline(object? dot, PipeNode pipe)
    {
        object? value = null;
        bool hasFinal = false;
        foreach (var command in pipe.Commands)
        {
            value = EvalCommand(dot, command, value, hasFinal);
            hasFinal = true;
        }
        foreach (var name in pipe.Variables)
        {
            if (pipe.IsAssign)
            {
                SetVariable(pipe, name, value);
            }
            else
            {
                _variables.Add((name, value));
            }
        }
        return value;
    }

    private void SetVariable(Node at, string name, object? value)
    {
        for (int i = _variables.Count - 1; i >= 0; i--)
        {
            if (_variables[i].Name == name)
            {
                _variables[i] = (name, value);
                return;
            }
        }
        throw Error(at, $"undefined variable: {name}");
    }

    private object? Variable(Node at, string name)
    {
        for (int i = _variables.Count - 1; i >= 0; i--)
        {
            if (_variables[i].Name == name)
            {
                return _variables[i].Value;
            }
        }
        throw Error(at, $"undefined variable: {name}");
    }

    private object? EvalCommand(object? dot, CommandNode command, object? final, bool hasFinal)
    {
        Step(command);
        var first = command.Args[0];
        switch (first)
        {
            case IdentifierNode function:
                return CallFunction(dot, function, command.Args, final, hasFinal);
            case FieldNode field:
                return EvalFields(field, dot, field.Names, command.Args, final, hasFinal);
            case VariableNode variable:
                return EvalFields(variable, Variable(variable, variable.Name), variable.Fields, command.Args, final, hasFinal);
            case ChainNode chain:
                return EvalFields(chain, EvalArg(dot, chain.Target), chain.Fields, command.Args, final, hasFinal);
            case PipeNode pipe:
                NoArguments(command, hasFinal);
                return EvalPipeline(dot, pipe);
        }
        NoArguments(command, hasFinal);
        return EvalArg(dot, first);
    }

    private void NoArguments(CommandNode command, bool hasFinal)
    {
        if (command.Args.Count > 1 || hasFinal)
        {
            throw Error(command, $"can't give argument to non-function {Describe(command.Args[0])}");
        }
    }

    private object? EvalArg(object? dot, Node node) => node switch
    {
        DotNode => dot,
        NilNode => null,
        LiteralNode literal => literal.Value,
        FieldNode field => EvalFields(field, dot, field.Names, null, null, false),
        VariableNode variable => EvalFields(variable, Variable(variable, variable.Name), variable.Fields, null, null, false),
        ChainNode chain => EvalFields(chain, EvalArg(dot, chain.Target), chain.Fields, null, null, false),
        PipeNode pipe => EvalPipeline(dot, pipe),
        IdentifierNode function => CallFunction(dot, function, [function], null, false),
        _ => throw Error(node, "can't evaluate " + node.GetType().Name),
    };

    /// <summary>.A.B.C on a receiver. Data has no methods, so arguments to a field are an error.</summary>
    private object? EvalFields(Node at, object? receiver, string[] names, List<Node>? args, object? final, bool hasFinal)
    {
        if ((args is not null && args.Count > 1) || hasFinal)
        {
            if (names.Length > 0)
            {
                throw Error(at, $"{names[^1]} is not a method but has arguments");
            }
        }
        var value = receiver;
        foreach (var name in names)
        {
            value = Field(at, value, name);
        }
        return value;
    }

    private object? Field(Node at, object? receiver, string name)
    {
        switch (receiver)
        {
            case GoMap map:
                return map.Entries.TryGetValue(name, out var v) ? v : map.Missing;
            case GoStruct s:
                return s.Field(name);
            case ZeroValue:
                return ZeroValue.Instance;
            case string text when name == "String":
                // Istio's templates call .String on enums (.ProxyConfig.InterceptionMode.String).
                return text;
            case bool or long or double when name == "GetValue":
                // Protobuf wrappers (BoolValue…) are plain JSON values; .GetValue reads them.
                return receiver;
            case null or NoValue:
                throw Error(at, $"nil pointer evaluating interface {{}}.{name}");
            default:
                throw Error(at, $"can't evaluate field {name} in type {GoValues.TypeName(receiver)}");
        }
    }

    private object? CallFunction(object? dot, IdentifierNode function, List<Node> args, object? final, bool hasFinal)
    {
        int count = args.Count - 1 + (hasFinal ? 1 : 0);
        if (function.Name is "and" or "or")
        {
            if (count < 1)
            {
                throw Error(function, $"wrong number of args for {function.Name}: want at least 1 got 0");
            }
            // Short-circuit: return the first falsy (and) or truthy (or) argument, else the last.
            object? last = null;
            for (int i = 1; i <= count; i++)
            {
                last = i < args.Count ? EvalArg(dot, args[i]) : final;
                bool truth = GoValues.IsTrue(last);
                if (function.Name == "and" ? !truth : truth)
                {
                    return last;
                }
            }
            return last;
        }
        if (!_functions.TryGet(function.Name, out var entry))
        {
            throw Error(function, $"function \"{function.Name}\" not defined");
        }
        if (count < entry.MinArgs || entry.MaxArgs >= 0 && count > entry.MaxArgs)
        {
            var want = entry.MaxArgs < 0 ? $"at least {entry.MinArgs}" : entry.MinArgs == entry.MaxArgs ? $"{entry.MinArgs}" : $"{entry.MinArgs}-{entry.MaxArgs}";
            throw Error(function, $"wrong number of args for {function.Name}: want {want} got {count}");
        }
        var values = new object?[count];
        for (int i = 1; i < args.Count; i++)
        {
            values[i - 1] = EvalArg(dot, args[i]);
        }
        if (hasFinal)
        {
            values[count - 1] = final;
        }
        object? result;
        try
        {
            result = entry.Function(values);
        }
        catch (FunctionException e)
        {
            throw Error(function, $"error calling {function.Name}: {e.Message}");
        }
        // An intermediate value counts like output: a string that doubles on each call would
        // otherwise take the memory long before anything is written.
        if (result is string text && text.Length > MaxValueChars)
        {
            throw Error(function, $"{function.Name} made a value larger than {MaxValueChars} characters");
        }
        return result;
    }

    private void Step(Node at)
    {
        if (++_steps > MaxSteps)
        {
            throw Error(at, $"more than {MaxSteps} evaluation steps");
        }
    }

    private static string Describe(Node node) => node switch
    {
        LiteralNode l => GoValues.Print(l.Value),
        DotNode => ".",
        NilNode => "nil",
        _ => node.GetType().Name,
    };

    private TemplateError Error(Node at, string message)
    {
        var (line, column) = TextPosition.LineAndColumn(_text, at.Pos);
        return new TemplateError(_name, line, column, "executing \"" + _name + "\": " + message);
    }
}
