using System.Text.Json;
using System.Text.Json.Nodes;
using GoTemplates;
using SidecarInjector.Json;
using SidecarInjector.KubernetesGo;
using SidecarInjector.Mesh;

namespace SidecarInjector.Render;

/// <summary>
/// What a template sees (Istio's SidecarTemplateData): .TypeMeta, .DeploymentMeta, .ObjectMeta,
/// .Spec, .ProxyConfig, .MeshConfig, .Values, .Revision, .ProxyImage, .ProxyUID/.ProxyGID,
/// .NativeSidecars, .InboundTrafficPolicyMode and friends, built from the pod and the config.
/// </summary>
/// <summary>The workload a pod template belongs to, when injecting manifests (kube-inject) rather than pods.</summary>
internal sealed record WorkloadMeta(string Name, string Namespace, string Kind, string ApiVersion);

internal static class InjectionData
{
    public const long DefaultProxyUid = 1337;

    /// <summary>The fields of the data, by name: what a template may read at its root (<see cref="RenderKey"/> knows each).</summary>
    public static readonly IReadOnlySet<string> Fields = new HashSet<string>(StringComparer.Ordinal)
    {
        "TypeMeta", "DeploymentMeta", "ObjectMeta", "Spec", "ProxyConfig", "MeshConfig", "Values", "Revision", "ProxyImage",
        "ProxyInitImage", "ProxyUID", "ProxyGID", "NativeSidecars", "InboundTrafficPolicyMode", "CompliancePolicy", "EstimatedConcurrency",
    };

    /// <param name="nativeSidecars">.NativeSidecars as the cluster's nodes decide it (<see cref="NativeSidecarNodes"/>); null: the setting's.</param>
    public static GoStruct Build(JsonObject pod, string ns, TemplateSettings config, string revision,
        WorkloadMeta? workload = null, JsonObject? proxyConfig = null, (long Uid, long Gid)? proxyIds = null, bool? nativeSidecars = null)
    {
        var values = config.Values;
        var mesh = config.Mesh;
        var metadata = pod["metadata"] as JsonObject ?? [];
        var annotations = metadata["annotations"] as JsonObject;
        var (deployName, kind, apiVersion) = workload is null ? DeploymentMeta(pod, ns) : (workload.Name, workload.Kind, workload.ApiVersion);
        if (workload is not null)
        {
            ns = workload.Namespace;
        }
        // The pod's metadata as it came, with the request's namespace when the pod leaves it out.
        object? objectMeta;
        if (metadata["namespace"] is null && ns.Length > 0 && workload is null)
        {
            var metaCopy = metadata.DeepClone().AsObject();
            metaCopy["namespace"] = ns;
            objectMeta = GoValues.FromStructJson(metaCopy, KubernetesStructs.Instance);
        }
        else
        {
            objectMeta = JsonRaw.Of(metadata) is { } rawMeta
                ? GoValues.FromStructJson(rawMeta, KubernetesStructs.Instance)
                : GoValues.FromStructJson(metadata, KubernetesStructs.Instance);
        }
        proxyConfig ??= MeshConfig.ForPod(mesh, pod);
        var fields = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["TypeMeta"] = new GoStruct(new() { ["Kind"] = kind, ["APIVersion"] = apiVersion }),
            ["DeploymentMeta"] = new GoStruct(new() { ["Name"] = deployName, ["Namespace"] = ns }),
            ["ObjectMeta"] = objectMeta,
            // From the raw JSON when nothing has read the spec yet: no JSON node built for its every part.
            ["Spec"] = pod["spec"] is JsonObject spec && JsonRaw.Of(spec) is { } raw
                ? GoValues.FromStructJson(raw, KubernetesStructs.Instance, "PodSpec")
                : GoValues.FromStructJson(pod["spec"] as JsonObject ?? [], KubernetesStructs.Instance, "PodSpec"),
            ["ProxyConfig"] = string.IsNullOrWhiteSpace(annotations?[MeshConfig.ProxyConfigAnnotation]?.ToString())
                ? config.DefaultTemplateProxyConfig
                : GoValues.FromStructJson(proxyConfig, KubernetesStructs.Instance),
            ["MeshConfig"] = config.TemplateMesh,
            ["Values"] = config.TemplateValues,
            ["Revision"] = revision,
            ["ProxyImage"] = ProxyImage(values, annotations, "proxyv2", values["global"]?["proxy"]?["image"]),
            ["ProxyInitImage"] = ProxyImage(values, annotations, "proxyv2", values["global"]?["proxy_init"]?["image"]),
            ["ProxyUID"] = (proxyIds ?? ProxyIds.Default).Uid,
            ["ProxyGID"] = (proxyIds ?? ProxyIds.Default).Gid,
            // The injector's setting (or the nodes'); the pod's sidecar.istio.io/nativeSidecar annotation is the template's to weigh.
            ["NativeSidecars"] = nativeSidecars ?? config.NativeSidecars,
            // Istio lower-cases the enum name for templates ("localhost", "passthrough").
            ["InboundTrafficPolicyMode"] = (mesh["inboundTrafficPolicy"]?["mode"]?.GetValue<string>() ?? "PASSTHROUGH").ToLowerInvariant(),
            ["CompliancePolicy"] = config.CompliancePolicy,
            ["EstimatedConcurrency"] = 0L,
        };
        return new GoStruct(fields);
    }

    /// <summary>Istio's GetDeployMetaFromPod: the workload behind a generated pod, from its controller.</summary>
    public static (string Name, string Kind, string ApiVersion) DeploymentMeta(JsonObject pod, string ns)
    {
        var metadata = pod["metadata"] as JsonObject ?? [];
        var labels = metadata["labels"] as JsonObject;
        OwnerReference? controller = null;
        if (metadata["ownerReferences"] is JsonArray owners)
        {
            foreach (var owner in owners)
            {
                if (owner?["controller"]?.GetValue<bool>() == true)
                {
                    controller = new(owner["apiVersion"]?.GetValue<string>() ?? "", owner["kind"]?.GetValue<string>() ?? "", owner["name"]?.GetValue<string>() ?? "");
                    break;
                }
            }
        }
        return DeploymentMeta(metadata["name"]?.GetValue<string>() ?? "", metadata["generateName"]?.GetValue<string>() ?? "", controller,
            labels?["pod-template-hash"]?.GetValue<string>() ?? "", labels?["deploymentconfig"]?.GetValue<string>() ?? "");
    }

    /// <summary>The same from the pod's raw JSON (the webhook's direct path). The caller has checked the pod's field types.</summary>
    public static (string Name, string Kind, string ApiVersion) DeploymentMeta(JsonElement pod, string ns)
    {
        if (!pod.TryGetProperty("metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object)
        {
            return DeploymentMeta("", "", null, "", "");
        }
        OwnerReference? controller = null;
        if (metadata.TryGetProperty("ownerReferences", out var owners) && owners.ValueKind == JsonValueKind.Array)
        {
            foreach (var owner in owners.EnumerateArray())
            {
                if (owner.ValueKind == JsonValueKind.Object && owner.TryGetProperty("controller", out var isController)
                    && isController.ValueKind == JsonValueKind.True)
                {
                    controller = new(Text(owner, "apiVersion"), Text(owner, "kind"), Text(owner, "name"));
                    break;
                }
            }
        }
        var labels = metadata.TryGetProperty("labels", out var l) ? l : default;
        return DeploymentMeta(Text(metadata, "name"), Text(metadata, "generateName"), controller, Text(labels, "pod-template-hash"), Text(labels, "deploymentconfig"));

        static string Text(JsonElement map, string field) =>
            map.ValueKind == JsonValueKind.Object && map.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : "";
    }

    /// <summary>A pod's controller (the first owner reference with controller: true).</summary>
    public readonly record struct OwnerReference(string ApiVersion, string Kind, string Name);

    /// <summary>
    /// GetDeployMetaFromPod from the few fields it reads: the pod's name and generateName, its
    /// controller, and its pod-template-hash and deploymentconfig labels.
    /// </summary>
    public static (string Name, string Kind, string ApiVersion) DeploymentMeta(string podName, string generateName, OwnerReference? controller,
        string templateHash, string deploymentConfig)
    {
        var name = podName;
        string kind = "Pod", apiVersion = "v1";
        if (generateName.Length > 0 && controller is { } owner)
        {
            apiVersion = owner.ApiVersion;
            kind = owner.Kind;
            name = owner.Name;
            if (kind == "ReplicaSet" && templateHash.Length > 0 && name.EndsWith(templateHash, StringComparison.Ordinal))
            {
                name = name.EndsWith("-" + templateHash, StringComparison.Ordinal) ? name[..^(templateHash.Length + 1)] : name;
                kind = "Deployment";
            }
            else if (kind == "ReplicationController" && deploymentConfig.Length > 0)
            {
                name = deploymentConfig;
                kind = "DeploymentConfig";
            }
            else if (kind == "Job" && CronJobName(name) is { } cron)
            {
                name = cron;
                kind = "CronJob";
                apiVersion = "batch/v1";
            }
        }
        if (name.Length == 0)
        {
            name = podName;
        }
        return (name, kind, apiVersion);
    }

    /// <summary>A CronJob's Job is named "&lt;cronjob&gt;-&lt;8 to 11 digit timestamp&gt;".</summary>
    private static string? CronJobName(string job)
    {
        int dash = job.LastIndexOf('-');
        if (dash <= 0)
        {
            return null;
        }
        var suffix = job.AsSpan(dash + 1);
        if (suffix.Length is < 8 or > 11)
        {
            return null;
        }
        foreach (var c in suffix)
        {
            if (!char.IsAsciiDigit(c))
            {
                return null;
            }
        }
        return job[..dash];
    }

    /// <summary>Istio's ProxyImage: hub/image:tag, an image with a '/' as it is, and the image-type variant.</summary>
    private static string ProxyImage(JsonObject values, JsonObject? annotations, string fallbackName, JsonNode? configured)
    {
        var global = values["global"] as JsonObject;
        var hub = global?["hub"]?.ToString() ?? "";
        var tag = global?["tag"] is JsonNode t ? GoValues.Print(GoValues.FromJson(t)) : "";
        var imageType = global?["variant"]?.ToString() ?? "";
        if (annotations?["sidecar.istio.io/proxyImageType"]?.GetValue<string>() is { } requested)
        {
            imageType = requested;
        }
        var image = configured?.ToString() is { Length: > 0 } c ? c : fallbackName;
        if (image.Contains('/', StringComparison.Ordinal))
        {
            return image;
        }
        if (imageType.Length == 0 || imageType == "default")
        {
            return $"{hub}/{image}:{tag}";
        }
        return tag.EndsWith("-" + imageType, StringComparison.Ordinal) ? $"{hub}/{image}:{tag}" : $"{hub}/{image}:{tag}-{imageType}";
    }
}
