using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Configuration;
using SidecarInjector.Decide;
using SidecarInjector.Decode;
using SidecarInjector.Errors;
using SidecarInjector.KubernetesGo;
using SidecarInjector.Merge;
using SidecarInjector.Render;

namespace SidecarInjector.KubeInject;

/// <summary>
/// Offline injection of manifests, as <c>istioctl kube-inject</c>: every pod template in a
/// multi-document YAML stream is injected, other documents are copied unchanged, and injected
/// documents are written as Kubernetes' Go client writes them.
/// </summary>
internal static class ManifestInjector
{
    private static readonly HashSet<string> Workloads = new(StringComparer.Ordinal)
    {
        "v1/Pod", "v1/ReplicationController", "apps/v1/Deployment", "apps/v1/DaemonSet", "apps/v1/ReplicaSet",
        "apps/v1/StatefulSet", "batch/v1/Job", "batch/v1/CronJob", "apps.openshift.io/v1/DeploymentConfig", "v1/DeploymentConfig",
    };

    /// <summary>
    /// Injects every document; warnings (skipped workloads) are collected, errors name the document
    /// (a YAML error with its line and column in <paramref name="sourceName"/>, not in the document).
    /// </summary>
    public static string Run(string yaml, ConfigSnapshot config, List<string> warnings, string sourceName = "<stdin>")
    {
        var output = new StringBuilder(yaml.Length * 3);
        foreach (var (index, raw, parsed) in Documents(yaml, sourceName))
        {
            if (parsed is not JsonObject document || !IsKnown(document))
            {
                output.Append(raw).Append("---\n");
                continue;
            }
            try
            {
                InjectDocument(document, config, warnings);
            }
            catch (InjectionException e)
            {
                var name = document["metadata"]?["name"]?.ToString() ?? "";
                throw new InjectionException($"document {index} ({document["kind"]} {name}): {e.Message}");
            }
            output.Append(GoYaml.Emit(GoObjects.Normalize(document, IsKnownKind))).Append("---\n");
        }
        return output.ToString();
    }

    /// <summary>
    /// The non-empty documents of a YAML stream, each with its 1-based index, its text and its parsed
    /// form; a YAML error is an <see cref="InjectionException"/> at the line of the file, not of the document.
    /// </summary>
    public static IEnumerable<(int Index, string Raw, JsonNode? Parsed)> Documents(string yaml, string sourceName)
    {
        int index = 0;
        foreach (var (raw, firstLine) in SplitDocuments(yaml))
        {
            index++;
            if (raw.Trim().Length == 0)
            {
                continue;
            }
            JsonNode? parsed;
            try
            {
                parsed = YamlDocument.Parse(raw, $"document {index}");
            }
            catch (ConfigException e)
            {
                var where = e.Line > 0 ? $"{sourceName}:{e.Line + firstLine - 1}:{e.Column}" : sourceName;
                throw new InjectionException($"{where}: document {index}: {e.Detail}");
            }
            yield return (index, raw, parsed);
        }
    }

    public static bool IsKnown(JsonObject document) => document["kind"]?.ToString() == "List" || IsKnownKind(document);

    /// <summary>A workload kind that holds a pod template (or is a Pod).</summary>
    public static bool IsKnownKind(JsonObject document) => Workloads.Contains($"{document["apiVersion"]}/{document["kind"]}");

    private static void InjectDocument(JsonObject document, ConfigSnapshot config, List<string> warnings)
    {
        if (document["kind"]?.ToString() == "List")
        {
            foreach (var item in document["items"] as JsonArray ?? [])
            {
                if (item is JsonObject o && IsKnown(o))
                {
                    InjectDocument(o, config, warnings);
                }
            }
            return;
        }
        var kind = document["kind"]!.ToString();
        var metadata = document["metadata"] as JsonObject ?? [];
        JsonObject? holder = kind switch
        {
            "Pod" => document,
            "CronJob" => Field(Field(Field(Field(document, "spec"), "jobTemplate"), "spec"), "template"),
            _ => Field(Field(document, "spec"), "template"),
        };
        // Istio's quirk, kept for identical output: a CronJob's injected metadata goes on its
        // jobTemplate, not on the pod template inside it.
        var metadataHolder = kind == "CronJob" ? Field(Field(document, "spec"), "jobTemplate") : holder;
        if (holder is null || metadataHolder is null)
        {
            return;
        }
        var ns = metadata["namespace"]?.ToString() ?? "";
        var workload = new WorkloadMeta(metadata["name"]?.ToString() ?? "", ns, kind, document["apiVersion"]?.ToString() ?? "");
        var fullName = $"{kind} \"{(ns.Length > 0 ? ns + "/" : "")}{workload.Name}\"";
        var pod = new JsonObject
        {
            ["metadata"] = metadataHolder["metadata"]?.DeepClone() ?? new JsonObject(),
            ["spec"] = holder["spec"]?.DeepClone() ?? new JsonObject(),
        };
        // Before anything reads it: a field of the wrong type is refused with its path.
        // Serialised once: the type check and the decision's reader both read these bytes.
        var podBytes = Encoding.UTF8.GetBytes(pod.ToJsonString());
        PodShape.Check(podBytes);
        // The same facts reader as the webhook's, so both paths decide from the same reading.
        var facts = PodFactsReader.Read(podBytes, ns);
        if (facts.HostNetwork)
        {
            warnings.Add($"===> Skipping injection because {fullName} has host networking enabled");
            return;
        }
        // kube-inject always runs with policy enabled; the pod's own opt-out still counts.
        if (!InjectionDecision.IsRequired(InjectionPolicy.Enabled, [], [], facts))
        {
            warnings.Add($"===> Skipping injection because {fullName} has sidecar injection disabled");
            return;
        }
        var defaults = config.Templates.TryGetValue("sidecar", out var sidecar) ? new[] { sidecar } : [];
        // A bare Pod is described by its own controller reference, as the webhook would see it.
        var found = new List<string>();
        var injected = PodInjector.Inject(config, pod, ns, "default", [], kind == "Pod" ? null : workload, defaults, found).Pod;
        foreach (var warning in found)
        {
            warnings.Add($"===> {fullName}: {warning}");
        }
        metadataHolder["metadata"] = injected["metadata"]?.DeepClone();
        holder["spec"] = injected["spec"]?.DeepClone();
    }

    /// <summary>A mapping field of a mapping; null when either is missing or not a mapping.</summary>
    public static JsonObject? Field(JsonObject? parent, string name) => parent?[name] as JsonObject;

    /// <summary>
    /// Documents as Kubernetes' YAML reader cuts them: at lines that are exactly "---"; each with the
    /// 1-based line of the file it starts on.
    /// </summary>
    private static List<(string Text, int FirstLine)> SplitDocuments(string yaml)
    {
        var documents = new List<(string, int)>();
        var current = new StringBuilder();
        var lines = yaml.Split('\n');
        int firstLine = 1;
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.TrimEnd('\r') == "---")
            {
                documents.Add((current.ToString(), firstLine));
                current.Clear();
                firstLine = i + 2;
                continue;
            }
            // The piece after a final newline is empty: no line there.
            if (i == lines.Length - 1 && line.Length == 0)
            {
                break;
            }
            current.Append(line).Append('\n');
        }
        documents.Add((current.ToString(), firstLine));
        return documents;
    }
}
