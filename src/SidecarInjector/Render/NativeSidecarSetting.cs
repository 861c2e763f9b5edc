namespace SidecarInjector.Render;

/// <summary>ENABLE_NATIVE_SIDECARS, as Istio reads it since 1.27.</summary>
internal enum NativeSidecarMode
{
    /// <summary>"true": native sidecars for every pod.</summary>
    Enabled,

    /// <summary>"false", or any value Istio does not know: never.</summary>
    Disabled,

    /// <summary>"auto" (the default): where every node runs Kubernetes 1.33 or later (<see cref="NativeSidecarNodes"/>).</summary>
    Auto,
}

/// <summary>
/// ENABLE_NATIVE_SIDECARS: "true" on, "false" off, "auto" (the default) on where every node (or
/// the pod's node, when it names one) runs Kubernetes 1.33 or later. With the cluster's API the
/// injector watches the nodes and decides as Istio does (<see cref="NativeSidecarNodes"/>). Without
/// it, "auto" means on: every Kubernetes release still supported runs native sidecars (stable since
/// 1.33). A pod's sidecar.istio.io/nativeSidecar annotation still decides for that pod (in the template).
/// </summary>
internal static class NativeSidecarSetting
{
    public const string Variable = "ENABLE_NATIVE_SIDECARS";

    public static NativeSidecarMode Mode(Func<string, string?> environment) => environment(Variable) switch
    {
        null or "" or "auto" => NativeSidecarMode.Auto,
        "true" => NativeSidecarMode.Enabled,
        _ => NativeSidecarMode.Disabled,
    };

    /// <summary>The setting when no node is known (offline, or before the nodes are listed).</summary>
    public static bool Enabled(Func<string, string?> environment) => Mode(environment) != NativeSidecarMode.Disabled;
}
