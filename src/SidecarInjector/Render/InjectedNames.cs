using System.Text.Json.Nodes;

namespace SidecarInjector.Render;

/// <summary>Names of what a template adds: the content of Istio's sidecar.istio.io/status annotation.</summary>
internal sealed record InjectedNames(
    IReadOnlyList<string> InitContainers,
    IReadOnlyList<string> Containers,
    IReadOnlyList<string> Volumes,
    IReadOnlyList<string> ImagePullSecrets)
{
    public static InjectedNames From(JsonObject fragment)
    {
        var spec = fragment["spec"] as JsonObject;
        return new InjectedNames(
            NamesIn(spec?["initContainers"]),
            NamesIn(spec?["containers"]),
            NamesIn(spec?["volumes"]),
            NamesIn(spec?["imagePullSecrets"]));
    }

    /// <summary>Union in order, first occurrence kept, as merging templates into one pod does.</summary>
    public static InjectedNames Combine(IReadOnlyList<InjectedNames> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0];
        }
        var init = new List<string>();
        var containers = new List<string>();
        var volumes = new List<string>();
        var secrets = new List<string>();
        foreach (var part in parts)
        {
            AddDistinct(init, part.InitContainers);
            AddDistinct(containers, part.Containers);
            AddDistinct(volumes, part.Volumes);
            AddDistinct(secrets, part.ImagePullSecrets);
        }
        return new InjectedNames(init, containers, volumes, secrets);
    }

    private static void AddDistinct(List<string> into, IReadOnlyList<string> names)
    {
        foreach (var n in names)
        {
            if (!into.Contains(n))
            {
                into.Add(n);
            }
        }
    }

    private static List<string> NamesIn(JsonNode? list)
    {
        var names = new List<string>();
        if (list is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is JsonObject o && o["name"] is JsonValue v && v.TryGetValue<string>(out var name))
                {
                    names.Add(name);
                }
            }
        }
        return names;
    }
}
