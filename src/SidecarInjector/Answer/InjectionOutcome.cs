namespace SidecarInjector.Answer;

/// <summary>How one review ended, for metrics and logs.</summary>
internal enum InjectionOutcome
{
    /// <summary>A patch was returned.</summary>
    Injected,
    /// <summary>Allowed unchanged: not a Pod CREATE, the decision said no, or nothing was left to change.</summary>
    Skipped,
    /// <summary>Refused with <c>allowed: false</c>: injection was wanted but is impossible for this pod.</summary>
    Denied,
}
