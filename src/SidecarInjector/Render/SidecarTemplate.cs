using System.Text;
using System.Text.Json.Nodes;
using GoTemplates;
using SidecarInjector.Errors;
using SidecarInjector.Json;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Render;

/// <summary>
/// One compiled injection template: parsed once per ConfigMap version, rendered per pod. A
/// template without actions is a constant Pod fragment, kept parsed; one with Go-template actions
/// renders YAML that is parsed and checked per pod.
/// </summary>
internal sealed class SidecarTemplate
{
    /// <summary>Renders remembered per template: pods of one workload render the same text (pod names and
    /// hash labels rarely reach the sidecar), and parsing the rendered YAML is most of a render's cost.
    /// Few slots: an entry (text and parsed tree) is tens of KB, and RSS matters more than old renders.</summary>
    private const int RenderedSlots = 16;

    private readonly GoTemplate? _template;
    private readonly JsonObject? _constant;
    private readonly InjectedNames? _constantNames;
    private readonly Rendered?[] _rendered = new Rendered?[RenderedSlots];

    /// <summary>Renders in a row the direct reader gave up on; at the limit, it is no longer tried.</summary>
    private int _readerGaveUp;
    private const int ReaderGiveUpLimit = 16;

    /// <summary>A rendered text and the fragment it parsed to; immutable once published.</summary>
    private sealed record Rendered(string Text, JsonObject Fragment, InjectedNames Names);

    private SidecarTemplate(string name, GoTemplate? template, JsonObject? constant)
    {
        Name = name;
        _template = template;
        _constant = constant;
        _constantNames = constant is null ? null : InjectedNames.From(constant);
        // Shared by every pod on every thread: built in full before anyone reads it concurrently.
        JsonTrees.BuildAll(constant);
        if (constant is not null)
        {
            SharedFragments.Register(constant);
        }
    }

    public static SidecarTemplate Constant(string name, JsonObject fragment) => new(name, null, fragment);

    public static SidecarTemplate FromGoTemplate(string name, GoTemplate template) => new(name, template, null);

    public string Name { get; }

    /// <summary>What rendering may read of the template data (nothing for a constant template).</summary>
    public TemplateReads Reads => _template?.Reads ?? TemplateReads.Nothing;

    /// <summary>True when rendering needs the template data (the pod, values, mesh…).</summary>
    public bool NeedsData => _template is not null;

    /// <summary>The text a Go template renders for <paramref name="data"/> (null for a constant template): what tests read the reader's input from.</summary>
    internal string? RenderText(object? data) => _template?.Execute(data);

    /// <summary>
    /// The text of the last render on this thread: kept, so that a render whose text was seen before
    /// (pods of one workload) makes no string, only a comparison.
    /// </summary>
    [ThreadStatic]
    private static StringBuilder? t_output;

    /// <summary>A builder that grew past this (a huge render) is not kept for the thread.</summary>
    private const int KeptOutputChars = 256 * 1024;

    /// <summary>The Pod fragment for one pod, and what it injects. Callers must not mutate the fragment.</summary>
    public (JsonObject Fragment, InjectedNames Names) Render(Func<object?> data)
    {
        if (_constant is not null)
        {
            return (_constant, _constantNames!);
        }
        var output = t_output ?? new StringBuilder(16 * 1024);
        t_output = null;
        try
        {
            try
            {
                _template!.Execute(data(), output);
            }
            catch (TemplateError e)
            {
                throw new InjectionException($"template {Name}: {e.Message}");
            }
            return Remembered(output);
        }
        finally
        {
            if (output.Capacity <= KeptOutputChars)
            {
                t_output = output;
            }
        }
    }

    /// <summary>The fragment of a rendered text: remembered when the same text was rendered before, else parsed and remembered.</summary>
    private (JsonObject Fragment, InjectedNames Names) Remembered(StringBuilder output)
    {
        // One chunk when the builder had room (it keeps its capacity between renders): compared in place.
        ReadOnlySpan<char> rendered = default;
        bool inPlace = false;
        foreach (var chunk in output.GetChunks())
        {
            if (inPlace)
            {
                inPlace = false;
                break;
            }
            rendered = chunk.Span;
            inPlace = true;
        }
        string? text = null;
        if (!inPlace)
        {
            text = output.ToString();
            rendered = text;
        }
        int slot = (string.GetHashCode(rendered) & int.MaxValue) % RenderedSlots;
        if (Volatile.Read(ref _rendered[slot]) is { } seen && rendered.SequenceEqual(seen.Text))
        {
            return (seen.Fragment, seen.Names);
        }
        text ??= output.ToString();
        var (fragment, names) = Parse(text);
        Volatile.Write(ref _rendered[slot], new Rendered(text, fragment, names));
        return (fragment, names);
    }

    private (JsonObject Fragment, InjectedNames Names) Parse(string text)
    {
        JsonNode? node;
        try
        {
            // Templates render a small part of YAML; read that directly, and anything else in full. A
            // template whose output the reader keeps giving up on is read in full from then on
            // (giving up costs an exception per pod).
            bool tryReader = Volatile.Read(ref _readerGaveUp) < ReaderGiveUpLimit;
            if (!tryReader || !BlockYamlReader.TryRead(text, out node))
            {
                if (tryReader)
                {
                    Interlocked.Increment(ref _readerGaveUp);
                }
                node = YamlDocument.Parse(text, $"output of template {Name}");
            }
            else if (_readerGaveUp != 0)
            {
                Volatile.Write(ref _readerGaveUp, 0);
            }
        }
        catch (ConfigException e)
        {
            throw new InjectionException($"template {Name} rendered invalid YAML: {e.Message}");
        }
        if (node is null)
        {
            return ([], InjectedNames.From([]));
        }
        if (node is not JsonObject fragment)
        {
            throw new InjectionException($"template {Name} rendered a {JsonKinds.Name(node)}, not a Pod fragment");
        }
        try
        {
            TemplateCompiler.ValidatePodFragment(fragment, $"output of template {Name}");
        }
        catch (ConfigException e)
        {
            throw new InjectionException(e.Message);
        }
        var normalized = fragment;
        // Shared from now on by every pod that renders the same text, on any thread: build every node
        // now, so that later readers only read.
        JsonTrees.BuildAll(normalized);
        SharedFragments.Register(normalized);
        return (normalized, InjectedNames.From(normalized));
    }
}
