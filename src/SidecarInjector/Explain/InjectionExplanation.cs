namespace SidecarInjector.Explain;

/// <summary>
/// Why a pod is (not) injected: what <c>check-inject</c> and <c>explain</c> print, and with
/// <c>-o json</c> serialise (<see cref="ExplainJson"/>). <see cref="Injected"/> and <see cref="Reason"/>
/// are the answer; the rest is the evidence: each webhook the apiserver would consider, and the
/// injector's own decision with the rule that made it.
/// </summary>
internal sealed record InjectionExplanation(
    string Pod,
    string Namespace,
    bool Injected,
    string Reason,
    IReadOnlyDictionary<string, string> NamespaceLabels,
    IReadOnlyList<WebhookReport> Webhooks,
    DecisionReport Decision,
    bool AlreadyInjected,
    string Config,
    IReadOnlyList<string> Warnings);

/// <summary>One webhook of a MutatingWebhookConfiguration: whether the apiserver sends it this pod, and why (not).</summary>
internal sealed record WebhookReport(string Configuration, string Webhook, bool Selected, string Reason);

/// <summary>
/// The injector's decision for a pod the apiserver sends it: <see cref="Inject"/>, the rule of
/// Istio's table that decided (<see cref="Rule"/>), and when injecting, whether the injection itself
/// succeeds (<see cref="Error"/> says why not) or has nothing left to change.
/// </summary>
internal sealed record DecisionReport(bool Inject, string Rule, string Policy, string? Error, bool NothingToChange);
