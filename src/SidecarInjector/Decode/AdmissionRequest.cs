namespace SidecarInjector.Decode;

internal enum ReviewVersion
{
    V1,
    V1Beta1,
}

/// <summary>
/// What the handler needs from an AdmissionReview request. A value type that points into the body
/// (uid, object) rather than copying it, so that reading a review allocates nothing.
/// </summary>
internal struct AdmissionRequest
{
    public ReviewVersion Version;

    /// <summary>request.kind is core/v1 Pod.</summary>
    public bool IsPod;
    public bool IsCreate;
    public bool HasSubResource;
    public bool DryRun;

    /// <summary>request.namespace, interned (a cluster has few namespaces).</summary>
    public string Namespace;

    /// <summary>Where the uid's UTF-8 sits in the body, when it needed no unescaping.</summary>
    public int UidStart;
    public int UidLength;

    /// <summary>The uid, when the JSON spelled it with escapes (rare).</summary>
    public string? EscapedUid;

    /// <summary>Where <c>request.object</c> sits in the body; length 0 when absent or null.</summary>
    public int ObjectStart;
    public int ObjectLength;

    public readonly bool HasUid => UidLength > 0 || EscapedUid is { Length: > 0 };

    public readonly bool IsPodCreate => IsPod && IsCreate && !HasSubResource;
}
