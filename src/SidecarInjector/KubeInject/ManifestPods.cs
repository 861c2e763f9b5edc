using System.Text.Json.Nodes;

namespace SidecarInjector.KubeInject;

/// <summary>A pod as a workload of a manifest will create it: its template's metadata and spec.</summary>
internal sealed record ManifestPod(string Kind, string Name, string? Namespace, JsonObject Pod)
{
    /// <summary><c>Deployment web</c>, for what is printed about it.</summary>
    public string Describe() => $"{Kind} {Name}";
}

/// <summary>
/// The pods the workloads of a multi-document manifest create, read without changing anything (the
/// documents <see cref="ManifestInjector"/> would inject). Unlike kube-inject's output, a CronJob's
/// pod carries its pod template's own metadata: that is what reaches the apiserver's admission.
/// </summary>
internal static class ManifestPods
{
    public static List<ManifestPod> Read(string yaml, string sourceName)
    {
        var pods = new List<ManifestPod>();
        foreach (var (_, _, parsed) in ManifestInjector.Documents(yaml, sourceName))
        {
            if (parsed is JsonObject document && ManifestInjector.IsKnown(document))
            {
                Collect(document, pods);
            }
        }
        return pods;
    }

    /// <summary>The pods of one object (a workload as the API or a manifest has it, a Pod, a List).</summary>
    public static List<ManifestPod> Of(JsonObject document)
    {
        var pods = new List<ManifestPod>();
        if (ManifestInjector.IsKnown(document))
        {
            Collect(document, pods);
        }
        return pods;
    }

    private static void Collect(JsonObject document, List<ManifestPod> pods)
    {
        var kind = document["kind"]?.ToString() ?? "";
        if (kind == "List")
        {
            foreach (var item in document["items"] as JsonArray ?? [])
            {
                if (item is JsonObject o && ManifestInjector.IsKnown(o))
                {
                    Collect(o, pods);
                }
            }
            return;
        }
        var holder = kind switch
        {
            "Pod" => document,
            "CronJob" => ManifestInjector.Field(ManifestInjector.Field(ManifestInjector.Field(ManifestInjector.Field(document, "spec"), "jobTemplate"), "spec"), "template"),
            _ => ManifestInjector.Field(ManifestInjector.Field(document, "spec"), "template"),
        };
        if (holder is null)
        {
            return;
        }
        var metadata = document["metadata"] as JsonObject;
        var pod = new JsonObject
        {
            ["metadata"] = holder["metadata"]?.DeepClone() ?? new JsonObject(),
            ["spec"] = holder["spec"]?.DeepClone() ?? new JsonObject(),
        };
        // A bare Pod may have only generateName (kubectl create), as the apiserver will name it.
        var name = metadata?["name"]?.ToString() ?? (metadata?["generateName"] is { } prefix ? prefix + "<generated>" : "");
        pods.Add(new ManifestPod(kind, name, metadata?["namespace"]?.ToString(), pod));
    }
}
