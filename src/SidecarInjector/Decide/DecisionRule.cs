namespace SidecarInjector.Decide;

/// <summary>The step of Istio's injectRequired that decided a pod (named in the decision's log line).</summary>
internal enum DecisionRule
{
    HostNetwork,
    IgnoredNamespace,
    Label,
    Annotation,
    NeverInjectSelector,
    AlwaysInjectSelector,
    Policy,
}

/// <summary>Whether a pod gets a sidecar, and the rule that said so.</summary>
internal readonly record struct InjectionVerdict(bool Inject, DecisionRule Rule, InjectionPolicy Policy, int SelectorIndex = -1)
{
    /// <summary>The rule in the config's own words, e.g. <c>label sidecar.istio.io/inject="false"</c>.</summary>
    public string Describe() => Rule switch
    {
        DecisionRule.HostNetwork => "spec.hostNetwork is true",
        DecisionRule.IgnoredNamespace => "namespace is never injected",
        DecisionRule.Label => $"label {InjectionDecision.InjectKey}=\"{(Inject ? "true" : "false")}\"",
        DecisionRule.Annotation => $"annotation {InjectionDecision.InjectKey}=\"{(Inject ? "true" : "false")}\"",
        DecisionRule.NeverInjectSelector => $"neverInjectSelector[{SelectorIndex}] matches",
        DecisionRule.AlwaysInjectSelector => $"alwaysInjectSelector[{SelectorIndex}] matches",
        _ => Policy switch
        {
            InjectionPolicy.Enabled => "policy enabled",
            InjectionPolicy.Disabled => "policy disabled",
            _ => "policy unknown",
        },
    };
}
