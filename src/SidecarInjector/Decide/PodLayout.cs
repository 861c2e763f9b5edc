namespace SidecarInjector.Decide;

/// <summary>
/// Where a pod's facts are, found by a pass that read the pod anyway (the memo's key): its one
/// <c>metadata</c> object (offset and length in the pod's bytes) and the value of <c>spec.hostNetwork</c>.
/// With it, the decision's facts come from the metadata's few hundred bytes instead of another pass over
/// the whole pod (a container's 2,000 env vars). <see cref="Unknown"/> when the pass could not be sure
/// (no metadata object, a field twice, an escaped field name, a mistyped hostNetwork): the facts are then
/// read from the whole pod.
/// </summary>
internal readonly record struct PodLayout(int MetadataStart, int MetadataLength, bool HostNetwork)
{
    public static PodLayout Unknown => default;

    public bool Known => MetadataLength > 0;
}
