using SidecarInjector.Configuration;
using SidecarInjector.Decide;

namespace SidecarInjector.Answer;

/// <summary>
/// The fields in which pods of one workload differ that injection, under one config, never reads:
/// what <see cref="WorkloadKey"/> leaves out so that siblings share one answer. A field is left out
/// only when no template may read it (<see cref="GoTemplates.TemplateReads"/>, found from each
/// template's parse tree), no injection selector names it, and the steps after rendering do not
/// read it (they read annotations Istio defines, containers, probes and ports; none of these).
/// What the pod's workload is (Istio's DeploymentMeta, which templates do read) is part of the key
/// instead of the owner's and pod's names.
/// </summary>
internal sealed class SiblingMasks
{
    /// <summary>Labels that controllers set per pod (a StatefulSet's ordinal, a Job's name and uid).</summary>
    internal static readonly string[] PerPodLabels =
    [
        "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index", "job-name", "batch.kubernetes.io/job-name",
        "controller-uid", "batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-completion-index",
    ];

    /// <summary>Annotations that controllers set per pod (an indexed Job's completion index).</summary>
    internal static readonly string[] PerPodAnnotations = ["batch.kubernetes.io/job-completion-index"];

    /// <summary>Masks nothing: the key is the pod's bytes.</summary>
    public static SiblingMasks None { get; } = new();

    private SiblingMasks()
    {
    }

    public bool PodName { get; private init; }
    public bool GenerateName { get; private init; }
    public bool Uid { get; private init; }
    public bool CreationTimestamp { get; private init; }
    public bool OwnerNames { get; private init; }
    public bool OwnerUids { get; private init; }
    public bool ManagedFieldTimes { get; private init; }

    /// <summary>The ServiceAccount admission's token volume, <c>kube-api-access-xxxxx</c>, and the mounts of it.</summary>
    public bool TokenVolumeNames { get; private init; }

    public IReadOnlySet<string> LabelValues { get; private init; } = new HashSet<string>();
    public IReadOnlySet<string> AnnotationValues { get; private init; } = new HashSet<string>();

    public bool Any => PodName || GenerateName || Uid || CreationTimestamp || OwnerNames || OwnerUids || ManagedFieldTimes || TokenVolumeNames
        || LabelValues.Count > 0 || AnnotationValues.Count > 0;

    /// <summary>Found once per config version, whoever asks (every handler of the process shares them).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ConfigSnapshot, SiblingMasks> Found = new();

    public static SiblingMasks For(ConfigSnapshot config) => Found.GetValue(config, Find);

    private static SiblingMasks Find(ConfigSnapshot config)
    {
        bool Unread(params string[] location) => !config.TemplatesMayRead(location);
        var selected = SelectorKeys(config.NeverInjectSelector, config.AlwaysInjectSelector);
        var labels = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in PerPodLabels)
        {
            if (!selected.Contains(key) && Unread("ObjectMeta", "labels", key))
            {
                labels.Add(key);
            }
        }
        var annotations = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in PerPodAnnotations)
        {
            if (Unread("ObjectMeta", "annotations", key))
            {
                annotations.Add(key);
            }
        }
        return new SiblingMasks
        {
            PodName = Unread("ObjectMeta", "name"),
            GenerateName = Unread("ObjectMeta", "generateName"),
            Uid = Unread("ObjectMeta", "uid"),
            CreationTimestamp = Unread("ObjectMeta", "creationTimestamp"),
            OwnerNames = Unread("ObjectMeta", "ownerReferences", "*", "name"),
            OwnerUids = Unread("ObjectMeta", "ownerReferences", "*", "uid"),
            ManagedFieldTimes = Unread("ObjectMeta", "managedFields", "*", "time"),
            TokenVolumeNames = Unread("Spec", "volumes", "*", "name")
                && Unread("Spec", "containers", "*", "volumeMounts", "*", "name")
                && Unread("Spec", "initContainers", "*", "volumeMounts", "*", "name")
                && Unread("Spec", "ephemeralContainers", "*", "volumeMounts", "*", "name"),
            LabelValues = labels,
            AnnotationValues = annotations,
        };
    }

    private static HashSet<string> SelectorKeys(params IReadOnlyList<LabelSelector>[] lists)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in lists)
        {
            foreach (var selector in list)
            {
                foreach (var (key, _) in selector.MatchLabels)
                {
                    keys.Add(key);
                }
                foreach (var requirement in selector.MatchExpressions)
                {
                    keys.Add(requirement.Key);
                }
            }
        }
        return keys;
    }
}
