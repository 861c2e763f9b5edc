using System.Text;

namespace GoTemplates;

/// <summary>
/// A parsed Go text/template: parse once (per ConfigMap version), execute per pod. Parse errors
/// and unknown functions throw <see cref="TemplateError"/> with the template name, line and column.
/// </summary>
internal sealed class GoTemplate
{
    private readonly string _name;
    private readonly string _text;
    private readonly ListNode _root;
    private readonly Dictionary<string, ListNode> _templates;
    private readonly FunctionTable _functions;

    private GoTemplate(string name, string text, ListNode root, Dictionary<string, ListNode> templates, FunctionTable functions)
    {
        _name = name;
        _text = text;
        _root = root;
        _templates = templates;
        _functions = functions;
    }

    public static GoTemplate Parse(string name, string text, FunctionTable functions)
    {
        var templates = new Dictionary<string, ListNode>(StringComparer.Ordinal);
        var root = Parser.Parse(name, text, functions.Contains, templates);
        templates.TryAdd(name, root);
        return new GoTemplate(name, text, root, templates, functions);
    }

    private TemplateReads? _reads;

    /// <summary>What this template may read of its data (found once, from the parse tree).</summary>
    public TemplateReads Reads => _reads ??= ReadAnalyzer.Analyze(_root, _templates, _functions);

    private TemplateReads? _keyReads;

    /// <summary>
    /// Everything the output may depend on (<see cref="ReadAnalyzer.Analyze"/> with <c>forKey</c>): the
    /// values of <see cref="Reads"/>, and also those tested for truth and the lengths (<c>#</c>) of what is
    /// ranged over. Two data whose values at these paths are equal render the same text.
    /// </summary>
    public TemplateReads KeyReads => _keyReads ??= ReadAnalyzer.Analyze(_root, _templates, _functions, forKey: true);

    public string Execute(object? data)
    {
        var output = new StringBuilder(_text.Length + 256);
        Evaluator.Execute(_name, _text, _root, _templates, _functions, data, output);
        return output.ToString();
    }

    /// <summary>
    /// Executes into <paramref name="output"/> (cleared first): a caller that renders often keeps one
    /// builder and reads the text without making a string of it.
    /// </summary>
    public void Execute(object? data, StringBuilder output)
    {
        output.Clear();
        Evaluator.Execute(_name, _text, _root, _templates, _functions, data, output);
    }
}
