namespace SidecarInjector.Admission;

internal enum ReviewVersion
{
    V1,
    V1Beta1,
}

/// <summary>What the handler needs from an AdmissionReview request; the object stays as raw bytes.</summary>
internal sealed class AdmissionRequest
{
    public ReviewVersion Version { get; set; }
    public string Uid { get; set; } = "";
    public string KindGroup { get; set; } = "";
    public string KindVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public string SubResource { get; set; } = "";
    public string Operation { get; set; } = "";
    public string Namespace { get; set; } = "";
    public bool DryRun { get; set; }

    /// <summary>Where <c>request.object</c> sits in the body; length 0 when absent or null.</summary>
    public int ObjectStart { get; set; }
    public int ObjectLength { get; set; }

    public bool IsPodCreate =>
        Kind == "Pod" && KindGroup.Length == 0 && Operation == "CREATE" && SubResource.Length == 0;
}
