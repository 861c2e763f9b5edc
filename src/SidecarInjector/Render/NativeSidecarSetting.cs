namespace SidecarInjector.Render;

/// <summary>
/// ENABLE_NATIVE_SIDECARS, as Istio reads it since 1.27: "true" on, "false" off, "auto" (the
/// default) on where every node runs Kubernetes 1.33 or later. Istio checks the nodes; we do not
/// watch nodes, and every Kubernetes release still supported runs native sidecars (stable since
/// 1.33), so "auto" means on. Any other value is off, as in Istio. A pod's
/// sidecar.istio.io/nativeSidecar annotation still decides for that pod (in the template).
/// </summary>
internal static class NativeSidecarSetting
{
    public const string Variable = "ENABLE_NATIVE_SIDECARS";

    public static bool Enabled(Func<string, string?> environment) => environment(Variable) switch
    {
        null or "" or "auto" or "true" => true,
        _ => false,
    };
}
