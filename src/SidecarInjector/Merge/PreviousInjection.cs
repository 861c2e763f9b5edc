using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.Json;

namespace SidecarInjector.Merge;

/// <summary>
/// Re-injection as Istio does it (inject.go stripPod, reinsertOverrides): a pod that carries the
/// status annotation has the containers listed there removed, the pod's own versions of them
/// (proxy.istio.io/overrides) put back, and our metrics annotations cleared, so that the templates
/// render against the pod as its owner wrote it and a changed config takes effect.
/// </summary>
internal static class PreviousInjection
{
    /// <summary>The names a status annotation lists, or null when the pod was not injected.</summary>
    public static (List<string> Containers, List<string> InitContainers)? Status(JsonObject pod)
    {
        if (pod["metadata"]?["annotations"]?[InjectionStatus.AnnotationKey]?.ToString() is not { } text)
        {
            return null;
        }
        try
        {
            if (JsonNode.Parse(text) is not JsonObject status)
            {
                return ([], []);
            }
            return (Names(status["containers"]), Names(status["initContainers"]));
        }
        catch (JsonException)
        {
            return ([], []);
        }
    }

    /// <summary>The pod with the previous injection removed (or the pod itself when it has none).</summary>
    public static JsonObject Strip(JsonObject pod, JsonObject mesh)
    {
        if (Status(pod) is not var (containers, initContainers))
        {
            return pod;
        }
        var stripped = pod.DeepClone().AsObject();
        if (stripped["spec"] is JsonObject spec)
        {
            Remove(spec["containers"], containers);
            Remove(spec["initContainers"], initContainers);
        }
        if (stripped["metadata"]?["annotations"] is JsonObject annotations)
        {
            var target = mesh["defaultConfig"]?["statusPort"]?.ToString() ?? "15020";
            if (annotations["prometheus.io/port"]?.ToString() == target)
            {
                annotations.Remove("prometheus.io/port");
                annotations.Remove("prometheus.io/path");
                annotations.Remove("prometheus.io/scrape");
            }
            annotations.Remove(InjectionStatus.AnnotationKey);
        }
        ReinsertOverrides(stripped);
        return stripped;
    }

    /// <summary>The pod's own versions of injected containers, recorded at the first injection, put back.</summary>
    private static void ReinsertOverrides(JsonObject pod)
    {
        if (pod["metadata"]?["annotations"]?[PodInjector.OverridesAnnotation]?.ToString() is not { } text || pod["spec"] is not JsonObject spec)
        {
            return;
        }
        JsonObject? overrides;
        try
        {
            overrides = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            throw new InjectionException($"annotation {PodInjector.OverridesAnnotation} is not valid JSON");
        }
        foreach (var field in (ReadOnlySpan<string>)["containers", "initContainers"])
        {
            if (overrides?[field] is not JsonArray saved)
            {
                continue;
            }
            if (spec[field] is not JsonArray list)
            {
                list = [];
                spec[field] = list;
            }
            foreach (var container in saved)
            {
                var name = container?["name"]?.ToString();
                if (name is not null && StrategicMerge.IndexOfKey(list, "name", JsonValue.Create(name), "spec." + field) < 0)
                {
                    list.Add(container!.DeepClone());
                }
            }
        }
    }

    /// <summary>The previous proxy's ISTIO_KUBE_APP_PROBERS, which re-injection keeps and adds to.</summary>
    public static string? PreviousProbers(JsonObject original)
    {
        foreach (var field in (ReadOnlySpan<string>)["containers", "initContainers"])
        {
            var list = original["spec"]?[field];
            for (int i = NamedItems.IndexOf(list, ProxyEnvironment.ProxyContainerName); i >= 0;
                i = NamedItems.IndexOf(list, ProxyEnvironment.ProxyContainerName, start: i + 1))
            {
                if (NamedItems.Find(list![i]!["env"], ProbeRewrite.ProbersEnv) is { } env)
                {
                    return env["value"]?.ToString();
                }
            }
        }
        return null;
    }

    private static void Remove(JsonNode? list, List<string> names)
    {
        if (list is not JsonArray array)
        {
            return;
        }
        for (int i = array.Count - 1; i >= 0; i--)
        {
            if (array[i]?["name"]?.ToString() is { } name && names.Contains(name))
            {
                array.RemoveAt(i);
            }
        }
    }

    private static List<string> Names(JsonNode? node)
    {
        var names = new List<string>();
        foreach (var item in node as JsonArray ?? [])
        {
            if (item?.ToString() is { } name)
            {
                names.Add(name);
            }
        }
        return names;
    }
}
