namespace SidecarInjector.KubernetesGo;

/// <summary>Where in a Pod a merge is, so that lists merge by the keys Kubernetes gives them.</summary>
internal enum PodPart
{
    Pod,
    Metadata,
    Spec,
    Container,
    Other,
}

/// <summary>
/// The strategic-merge metadata of core/v1 Pod (patchStrategy/patchMergeKey in k8s.io/api):
/// which lists merge by which key. A list not named here is atomic and replaced whole.
/// </summary>
internal static class PodSchema
{
    /// <summary>Marks a list of scalars that merges as a set (metadata.finalizers).</summary>
    public const string ScalarSet = "";

    public static PodPart Child(PodPart part, string field) => part switch
    {
        PodPart.Pod => field switch
        {
            "metadata" => PodPart.Metadata,
            "spec" => PodPart.Spec,
            _ => PodPart.Other,
        },
        _ => PodPart.Other,
    };

    /// <summary>The part that items of a list field are.</summary>
    public static PodPart ListItem(PodPart part, string field) =>
        part == PodPart.Spec && field is "containers" or "initContainers" or "ephemeralContainers"
            ? PodPart.Container
            : PodPart.Other;

    /// <summary>The merge key of a list field, <see cref="ScalarSet"/>, or null when the list is atomic.</summary>
    public static string? MergeKey(PodPart part, string field) => part switch
    {
        PodPart.Metadata => field switch
        {
            "ownerReferences" => "uid",
            "finalizers" => ScalarSet,
            _ => null,
        },
        PodPart.Spec => field switch
        {
            "containers" or "initContainers" or "ephemeralContainers" or "volumes" or "imagePullSecrets"
                or "resourceClaims" or "schedulingGates" => "name",
            "hostAliases" => "ip",
            "topologySpreadConstraints" => "topologyKey",
            _ => null,
        },
        PodPart.Container => field switch
        {
            "env" => "name",
            "ports" => "containerPort",
            "volumeMounts" => "mountPath",
            "volumeDevices" => "devicePath",
            _ => null,
        },
        _ => null,
    };
}
