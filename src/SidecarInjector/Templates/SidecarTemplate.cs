using System.Text.Json.Nodes;

namespace SidecarInjector.Templates;

/// <summary>
/// One compiled injection template. Compiled once per ConfigMap version; <see cref="Render"/> runs per pod.
/// Today a template is a constant Pod fragment, so rendering hands out the precompiled tree;
/// the Go-template engine will produce the fragment from the pod here instead.
/// </summary>
internal sealed class SidecarTemplate
{
    private readonly JsonObject _fragment;

    public SidecarTemplate(string name, JsonObject fragment)
    {
        Name = name;
        _fragment = fragment;
        InjectedNames = InjectedNames.From(fragment);
    }

    public string Name { get; }

    /// <summary>What this template injects (for the status annotation), known at compile time.</summary>
    public InjectedNames InjectedNames { get; }

    /// <summary>The Pod fragment for one pod. Callers must not mutate it.</summary>
    public JsonObject Render() => _fragment;
}
