namespace SidecarInjector.Decide;

/// <summary>The config's <c>policy</c>. <see cref="Invalid"/> exists only for Istio's decision table.</summary>
internal enum InjectionPolicy
{
    Enabled,
    Disabled,
    Invalid,
}
