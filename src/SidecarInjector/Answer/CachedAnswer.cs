namespace SidecarInjector.Answer;

/// <summary>The part of an answer that does not depend on the request's uid or version.</summary>
internal sealed class CachedAnswer(InjectionOutcome outcome, string? failureReason, string? message, StoredPatch? patch,
    string rule, string pod, IReadOnlyList<string>? warnings = null)
{
    public InjectionOutcome Outcome { get; } = outcome;
    public string? FailureReason { get; } = failureReason;
    public string? Message { get; } = message;

    /// <summary>What decided the outcome (<c>policy enabled</c>, <c>label sidecar.istio.io/inject="false"</c>, …), for the log.</summary>
    public string Rule { get; } = rule;

    /// <summary>The pod's name or generateName (identical pod bytes share it), for the log.</summary>
    public string Pod { get; } = pod;

    /// <summary>
    /// What the user should know though the pod was injected (a setting of theirs that was ignored),
    /// sent as the AdmissionResponse's warnings: kubectl prints them.
    /// </summary>
    public IReadOnlyList<string>? Warnings { get; } = warnings is { Count: > 0 } ? warnings : null;

    /// <summary>The JSON patch (base64-encoded as it is written), or null for no patch.</summary>
    public StoredPatch? Patch { get; } = patch;

    /// <summary>The same answer with its patch kept as <paramref name="stored"/> (the same bytes, in shared pieces).</summary>
    public CachedAnswer WithPatch(StoredPatch stored) => new(Outcome, FailureReason, Message, stored, Rule, Pod, Warnings);
}
