using SidecarInjector.Configuration;
using SidecarInjector.Render;

namespace SidecarInjector.Merge;

/// <summary>
/// What the direct path (<see cref="DirectPatch"/>) needs of a config, read once per config version:
/// the one default template, and the answers Istio's post-processing gives a pod that asks for
/// nothing of its own (no proxy-config, probe or metrics annotation).
/// </summary>
internal sealed class DirectSettings
{
    private DirectSettings(SidecarTemplate? template, bool holdsApplication, bool rewritesProbes, long statusPort, bool mergesMetrics,
        KeyValuePair<string, string>[] metricsAnnotations, IReadOnlyList<KeyValuePair<string, string>> injectedAnnotations)
    {
        Template = template;
        HoldsApplication = holdsApplication;
        RewritesProbes = rewritesProbes;
        StatusPort = statusPort;
        MergesMetrics = mergesMetrics;
        MetricsAnnotations = metricsAnnotations;
        InjectedAnnotations = injectedAnnotations;
    }

    /// <summary>The template a pod gets by default; null when the config's pods get none or several (the merge then runs).</summary>
    public SidecarTemplate? Template { get; }

    /// <summary>holdApplicationUntilProxyStarts: the proxy goes first among the containers.</summary>
    public bool HoldsApplication { get; }

    public bool RewritesProbes { get; }

    /// <summary>The agent's status port that rewritten probes point at.</summary>
    public long StatusPort { get; }

    public bool MergesMetrics { get; }

    /// <summary>The agent's port a merged pod's metrics are scraped at, as the annotation's text.</summary>
    public string AgentPort => MetricsAnnotations[0].Value;

    /// <summary>prometheus.io/port, path and scrape as a merged pod gets them.</summary>
    public KeyValuePair<string, string>[] MetricsAnnotations { get; }

    public IReadOnlyList<KeyValuePair<string, string>> InjectedAnnotations { get; }

    public static DirectSettings For(ConfigSnapshot config)
    {
        // Cluster or network from the values are written into every proxy's env: left to the merge.
        var template = config.DefaultTemplateSet.Count == 1 && !PodInjector.ValuesSetProxyEnv(config) ? config.DefaultTemplateSet[0] : null;
        var proxyConfig = Mesh.MeshConfig.ForPod(config.Mesh, (string?)null);
        return new DirectSettings(
            template,
            PodInjector.HoldsApplication(config, proxyConfig),
            ProbeRewrite.RewritesByDefault(config.Values),
            ProbeRewrite.MeshStatusPort(config.Mesh),
            PrometheusMerge.MergesByDefault(config.Mesh),
            PrometheusMerge.MergedAnnotations(PrometheusMerge.AgentPort(config.Mesh)),
            config.InjectedAnnotations);
    }
}
