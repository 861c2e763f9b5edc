namespace SidecarInjector.Answer;

/// <summary>
/// A value a <see cref="WorkloadKey"/> left out: where it is in the pod (from its opening quote, quotes
/// included), whether the sibling check may change it, and how a sibling's bytes may differ in it.
/// </summary>
internal readonly record struct MaskedValue(int Start, int Length, bool Perturbable, SiblingVariation Variation);

/// <summary>How a sibling's review may differ in a left-out value and still be answered by <see cref="SiblingReviews"/> from its bytes alone.</summary>
internal enum SiblingVariation : byte
{
    /// <summary>Not at all: the value is read though the key leaves it out (the pod's name for the log, the workload's name).</summary>
    None,

    /// <summary>Any other text of the same length that needs no escaping (a uid, a time, a per-pod label).</summary>
    PlainText,

    /// <summary>The five lower-case letters or digits after <c>kube-api-access-</c>, as the ServiceAccount admission names the token volume.</summary>
    TokenSuffix,

    /// <summary>The request's uid: letters, digits and dashes (Kubernetes' uids are UUIDs), which JSON writes as they are, so the answer can carry them unescaped.</summary>
    Uid,
}
