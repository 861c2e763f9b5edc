using System.Text.Json.Nodes;
using SidecarInjector.Configuration;
using SidecarInjector.Errors;
using SidecarInjector.Json;
using SidecarInjector.KubernetesGo;
using SidecarInjector.Render;

namespace SidecarInjector.Merge;

/// <summary>
/// Step 3 and the merge half of step 4: render the selected templates and merge them into a copy
/// of the pod, then Istio's post-processing, the way Istio's injectPod does.
/// </summary>
internal static class PodInjector
{
    /// <summary>
    /// Returns the injected pod and what the templates injected (the names of the status annotation,
    /// which the webhook's fresh path checks against what it left out of the pod); <paramref name="original"/>
    /// is left as it was. The caller has checked the pod's shape at its input (<see cref="PodShape.Check"/>: the webhook after parsing, kube-inject
    /// per document). A pod that cannot be injected gets an <see cref="InjectionException"/>; any other
    /// exception is a bug of ours and is reported as one (HTTP 500, internal_error), never as a bad pod.
    /// </summary>
    public static (JsonObject Pod, InjectedNames Names) Inject(
        ConfigSnapshot config,
        JsonObject original,
        string ns,
        string revision,
        IReadOnlyList<KeyValuePair<string, string>> proxyEnv,
        WorkloadMeta? workload = null,
        IReadOnlyList<SidecarTemplate>? defaultTemplates = null,
        List<string>? warnings = null,
        ClusterNamespace? cluster = null,
        bool? nativeSidecars = null,
        bool renderKeys = true)
    {
        AnnotationValidation.Validate(original);
        (long Uid, long Gid)? proxyIds = null;
        if (cluster is not null && ClusterNamespace.IsOpenShift(config.Settings.Environment))
        {
            // Istio's webhook on OpenShift: the namespace's uid range, and no app uid on the proxy.
            proxyIds = ProxyIds.For(cluster.Object);
            original = OpenShiftProxyUser.Reset(original);
        }
        var templates = SelectTemplates(config, original, defaultTemplates);
        // A re-injected pod is rendered as its owner wrote it (the previous injection removed), but
        // merged into as it came, as Istio's RunTemplate does: settings of the previous proxy that the
        // new template does not mention survive (Istio's merge-probers golden keeps JWT_POLICY).
        var basePod = PreviousInjection.Strip(original, config.Mesh);
        var merged = original.DeepClone().AsObject();
        // Parsed once: templates, the init container's uid and the container order all read it.
        var proxyConfig = Mesh.MeshConfig.ForPod(config.Mesh, original);

        // Built at most once per pod, and only if a template has actions.
        object? data = null;
        object? Data() => data ??= InjectionData.Build(basePod, ns, config.Settings, revision, workload, proxyConfig, proxyIds, nativeSidecars);

        // What each render depends on besides the pod: a template whose key was seen is not run (RenderKey).
        var inputs = new RenderInputs(ns, revision, proxyIds ?? ProxyIds.Default, nativeSidecars ?? config.Settings.NativeSidecars, workload);
        var injected = new List<InjectedNames>(templates.Count);
        foreach (var template in templates)
        {
            var (fragment, templateNames, shared) = template.Render(Data, renderKeys ? basePod : null, inputs);
            MoveOwnProxyForNativeSidecar(merged, templateNames);
            StrategicMerge.Apply(merged, fragment, PodPart.Pod, "", shared);
            injected.Add(templateNames);
        }
        var names = InjectedNames.Combine(injected);

        var overrides = ReapplyPodsOwnContainers(merged, original, names);
        RecordOverrides(merged, original, overrides);
        InitContainerUser.Apply(merged, original, proxyConfig["interceptionMode"]!.ToString());

        // Istio's postProcessPod, in its order.
        ProxyEnvironment.Apply(merged, WithValuesNetwork(config, original, proxyEnv));
        PrometheusMerge.Apply(merged, config.Mesh, warnings);
        ProbeRewrite.Apply(merged, config.Values, config.Mesh, PreviousInjection.PreviousProbers(original));

        var annotations = EnsureMap(EnsureMap(merged, "metadata", "metadata"), "annotations", "metadata.annotations");
        annotations[InjectionStatus.AnnotationKey] = InjectionStatus.Format(names, revision);
        foreach (var (key, value) in config.InjectedAnnotations)
        {
            annotations[key] = value;
        }
        ContainerOrder.Apply(merged, HoldsApplication(config, proxyConfig));
        return (merged, names);
    }

    private static IReadOnlyList<SidecarTemplate> SelectTemplates(ConfigSnapshot config, JsonObject pod, IReadOnlyList<SidecarTemplate>? defaults)
    {
        if (pod["metadata"]?["annotations"]?[TemplateSelection.TemplatesAnnotation] is JsonValue requested
            && requested.TryGetValue<string>(out var list))
        {
            var names = TemplateSelection.ParseAnnotation(list);
            return TemplateSelection.Resolve(names, config.Templates, config.Aliases)
                ?? throw new InjectionException(
                    $"annotation {TemplateSelection.TemplatesAnnotation} asks for template '{TemplateSelection.FirstMissing(names, config.Templates, config.Aliases)}', which the injector config does not define");
        }
        return defaults ?? config.DefaultTemplateSet;
    }

    /// <summary>
    /// A pod that defines a container the template also injects keeps its own settings on top
    /// (Istio's reapplyOverwrittenContainers): merge the pod's container over the merged one.
    /// <c>image: auto</c> means "use the injected image". Returns the overlays applied.
    /// </summary>
    private static (List<JsonObject> Containers, List<JsonObject> InitContainers) ReapplyPodsOwnContainers(
        JsonObject merged, JsonObject original, InjectedNames names)
    {
        var applied = (Containers: new List<JsonObject>(), InitContainers: new List<JsonObject>());
        if (original["spec"] is not JsonObject originalSpec || merged["spec"] is not JsonObject mergedSpec)
        {
            return applied;
        }
        var previous = PreviousInjection.Status(original);
        Reapply("containers", names.Containers, applied.Containers, previous?.Containers);
        Reapply("initContainers", names.InitContainers, applied.InitContainers, previous?.InitContainers);
        return applied;

        void Reapply(string field, IReadOnlyList<string> injectedNames, List<JsonObject> record, List<string>? injectedBefore)
        {
            if (injectedNames.Count == 0 || mergedSpec[field] is not JsonArray result)
            {
                return;
            }
            foreach (var name in injectedNames)
            {
                // A container this injector put there before is rendered afresh, not restored.
                if (injectedBefore is not null && injectedBefore.Contains(name))
                {
                    continue;
                }
                // Istio's FindContainerFromPod looks in both lists (a native proxy may be the pod's own container).
                var ownContainer = PodContainers.Find(originalSpec[field], name) ?? PodContainers.Find(originalSpec[field == "containers" ? "initContainers" : "containers"], name);
                if (ownContainer is null)
                {
                    // The common case: the pod has no version of its own (and the merged list is left unread).
                    continue;
                }
                int resultIndex = StrategicMerge.IndexOfKey(result, "name", JsonValue.Create(name), "spec." + field);
                if (resultIndex < 0)
                {
                    continue;
                }
                var overlay = ownContainer;
                if (overlay["image"] is JsonValue image && image.TryGetValue<string>(out var imageName) && imageName == "auto")
                {
                    overlay = overlay.DeepClone().AsObject();
                    overlay.Remove("image");
                }
                StrategicMerge.Apply(result[resultIndex]!.AsObject(), overlay, PodPart.Container, $"spec.{field}[{resultIndex}]");
                record.Add(overlay);
            }
        }
    }


    /// <summary>
    /// Istio keeps the pod's own versions of injected containers in proxy.istio.io/overrides, so
    /// that a later re-injection can apply them again. Written on the first injection only.
    /// </summary>
    private static void RecordOverrides(JsonObject merged, JsonObject original, (List<JsonObject> Containers, List<JsonObject> InitContainers) overrides)
    {
        if (overrides.Containers.Count == 0 && overrides.InitContainers.Count == 0
            || original["metadata"]?["annotations"]?[InjectionStatus.AnnotationKey] is not null)
        {
            return;
        }
        var record = new JsonObject();
        if (overrides.Containers.Count > 0)
        {
            record["containers"] = Ordered(overrides.Containers);
        }
        if (overrides.InitContainers.Count > 0)
        {
            record["initContainers"] = Ordered(overrides.InitContainers);
        }
        var annotations = EnsureMap(EnsureMap(merged, "metadata", "metadata"), "annotations", "metadata.annotations");
        annotations[OverridesAnnotation] = GoJson.Serialize(record);

        static JsonArray Ordered(List<JsonObject> containers)
        {
            var list = new JsonArray();
            foreach (var c in containers)
            {
                list.Add(GoTypes.Order(c, "Container"));
            }
            return list;
        }
    }

    public const string OverridesAnnotation = "proxy.istio.io/overrides";

    /// <summary>
    /// A native-sidecar template puts the proxy in initContainers; a pod that defines its own
    /// istio-proxy among its containers has it moved there first, so the two merge (Istio's RunTemplate).
    /// </summary>
    private static void MoveOwnProxyForNativeSidecar(JsonObject merged, InjectedNames templateNames)
    {
        if (!templateNames.InitContainers.Contains(ProxyEnvironment.ProxyContainerName)
            || merged["spec"] is not JsonObject spec || spec["containers"] is not JsonArray containers)
        {
            return;
        }
        int index = StrategicMerge.IndexOfKey(containers, "name", JsonValue.Create(ProxyEnvironment.ProxyContainerName), "spec.containers");
        if (index < 0)
        {
            return;
        }
        var proxy = containers[index];
        containers.RemoveAt(index);
        if (spec["initContainers"] is not JsonArray init)
        {
            init = [];
            spec["initContainers"] = init;
        }
        init.Add(proxy);
    }

    /// <summary>True when the values name a cluster or network, which every pod's proxy env then gets (<see cref="WithValuesNetwork"/>).</summary>
    internal static bool ValuesSetProxyEnv(ConfigSnapshot config) =>
        config.Values["global"]?["multiCluster"]?["clusterName"]?.ToString() is { Length: > 0 }
        || config.Values["global"]?["network"]?.ToString() is { Length: > 0 };

    /// <summary>
    /// Cluster and network for the proxy (Istio's RunTemplate): values.global first, the webhook
    /// path when those are empty, and the pod's topology.istio.io/network label above all.
    /// </summary>
    private static IReadOnlyList<KeyValuePair<string, string>> WithValuesNetwork(
        ConfigSnapshot config, JsonObject pod, IReadOnlyList<KeyValuePair<string, string>> proxyEnv)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in proxyEnv)
        {
            env[k] = v;
        }
        if (config.Values["global"]?["multiCluster"]?["clusterName"]?.ToString() is { Length: > 0 } cluster)
        {
            env["ISTIO_META_CLUSTER_ID"] = cluster;
        }
        if (config.Values["global"]?["network"]?.ToString() is { Length: > 0 } network)
        {
            env["ISTIO_META_NETWORK"] = network;
        }
        if (pod["metadata"]?["labels"]?["topology.istio.io/network"]?.ToString() is { Length: > 0 } labelled)
        {
            env["ISTIO_META_NETWORK"] = labelled;
        }
        return [.. env];
    }

    /// <summary>holdApplicationUntilProxyStarts from the pod's proxy config or the values.</summary>
    internal static bool HoldsApplication(ConfigSnapshot config, JsonObject proxyConfig)
    {
        return IsTrue(proxyConfig["holdApplicationUntilProxyStarts"])
            || IsTrue(config.Values["global"]?["proxy"]?["holdApplicationUntilProxyStarts"]);

        static bool IsTrue(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b;
    }

    private static JsonObject EnsureMap(JsonObject parent, string field, string path)
    {
        switch (parent[field])
        {
            case JsonObject existing:
                return existing;
            case null:
                var created = new JsonObject();
                parent[field] = created;
                return created;
            default:
                throw new InjectionException($"pod field {path} must be a mapping, not a {JsonKinds.Name(parent[field])}");
        }
    }
}
