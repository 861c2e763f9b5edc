using System.Text.Json.Nodes;
using SidecarInjector.Decide;
using SidecarInjector.Render;

namespace SidecarInjector.Configuration;

/// <summary>
/// One loaded, validated and compiled ConfigMap version. Immutable: a request reads one snapshot
/// from start to end, and a reload swaps the whole object.
/// </summary>
internal sealed class ConfigSnapshot
{
    public required string Version { get; init; }
    public required string Source { get; init; }
    public required InjectionPolicy Policy { get; init; }
    public required IReadOnlyList<LabelSelector> NeverInjectSelector { get; init; }
    public required IReadOnlyList<LabelSelector> AlwaysInjectSelector { get; init; }
    /// <summary>Added to every injected pod, in key order.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> InjectedAnnotations { get; init; }
    public required IReadOnlyList<string> DefaultTemplates { get; init; }
    public required IReadOnlyDictionary<string, SidecarTemplate> Templates { get; init; }
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Aliases { get; init; }
    /// <summary>Values, mesh config and environment, as every render of this version sees them.</summary>
    public required TemplateSettings Settings { get; init; }

    public JsonObject Values => Settings.Values;

    /// <summary>MeshConfig (proto-JSON): built-in defaults with the optional mesh file over them.</summary>
    public JsonObject Mesh => Settings.Mesh;

    /// <summary>What the templates' env function reads.</summary>
    public Func<string, string?> Environment => Settings.Environment;
    /// <summary>Things the loader accepted but wants a human to see (unknown keys and the like).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>
    /// True when any of the config's templates may read <paramref name="location"/> of its data (or a part
    /// of it): what the memo's key and the fresh path's projection may leave out is what none may read.
    /// </summary>
    public bool TemplatesMayRead(params string[] location)
    {
        foreach (var template in Templates.Values)
        {
            if (template.Reads.MayRead(location))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The templates for <see cref="DefaultTemplates"/>, resolved once at load.</summary>
    public required IReadOnlyList<SidecarTemplate> DefaultTemplateSet { get; init; }
}
