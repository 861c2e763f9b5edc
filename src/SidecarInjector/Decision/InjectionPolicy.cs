namespace SidecarInjector.Decision;

/// <summary>The config's <c>policy</c>. <see cref="Invalid"/> exists only for Istio's decision table.</summary>
internal enum InjectionPolicy
{
    Enabled,
    Disabled,
    Invalid,
}
