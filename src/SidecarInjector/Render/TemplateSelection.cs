namespace SidecarInjector.Render;

/// <summary>
/// Which templates a pod gets: names from <c>inject.istio.io/templates</c> or <c>defaultTemplates</c>,
/// each alias expanded one level, as Istio's selectTemplates does.
/// </summary>
internal static class TemplateSelection
{
    public const string TemplatesAnnotation = "inject.istio.io/templates";

    /// <summary>The templates for these names, or null when one is not defined.</summary>
    public static List<SidecarTemplate>? Resolve(
        IReadOnlyList<string> names,
        IReadOnlyDictionary<string, SidecarTemplate> templates,
        IReadOnlyDictionary<string, IReadOnlyList<string>> aliases)
    {
        var result = new List<SidecarTemplate>();
        foreach (var name in Expand(names, aliases))
        {
            if (!templates.TryGetValue(name, out var template))
            {
                return null;
            }
            result.Add(template);
        }
        return result;
    }

    public static string? FirstMissing(
        IReadOnlyList<string> names,
        IReadOnlyDictionary<string, SidecarTemplate> templates,
        IReadOnlyDictionary<string, IReadOnlyList<string>> aliases)
    {
        foreach (var name in Expand(names, aliases))
        {
            if (!templates.ContainsKey(name))
            {
                return name;
            }
        }
        return null;
    }

    /// <summary>Splits the annotation value: comma separated, blanks trimmed and dropped.</summary>
    public static List<string> ParseAnnotation(string value)
    {
        var names = new List<string>();
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            names.Add(part);
        }
        return names;
    }

    private static List<string> Expand(IReadOnlyList<string> names, IReadOnlyDictionary<string, IReadOnlyList<string>> aliases)
    {
        var expanded = new List<string>();
        foreach (var name in names)
        {
            if (aliases.TryGetValue(name, out var targets))
            {
                expanded.AddRange(targets);
            }
            else
            {
                expanded.Add(name);
            }
        }
        return expanded;
    }
}
