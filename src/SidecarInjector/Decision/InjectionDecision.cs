namespace SidecarInjector.Decision;

/// <summary>
/// Who gets a sidecar: Istio's <c>injectRequired</c> (pkg/kube/inject/inject.go), step for step.
/// </summary>
internal static class InjectionDecision
{
    public const string InjectKey = "sidecar.istio.io/inject";

    /// <summary>Namespaces Istio never injects, whatever their labels say (initializer.go).</summary>
    public static readonly IReadOnlySet<string> IgnoredNamespaces =
        new HashSet<string>(StringComparer.Ordinal) { "kube-system", "kube-public", "kube-node-lease", "local-path-storage" };

    public static bool IsRequired(
        InjectionPolicy policy,
        IReadOnlyList<LabelSelector> neverInjectSelector,
        IReadOnlyList<LabelSelector> alwaysInjectSelector,
        PodFacts pod)
    {
        if (pod.HostNetwork || IgnoredNamespaces.Contains(pod.Namespace))
        {
            return false;
        }

        // The label wins over the annotation; only "true" and "false" are explicit answers.
        pod.Annotations.TryGetValue(InjectKey, out var requested);
        if (pod.Labels.TryGetValue(InjectKey, out var labelValue))
        {
            requested = labelValue;
        }

        bool inject = false;
        bool useDefault = false;
        switch (requested)
        {
            case "true":
                inject = true;
                break;
            case "false":
                inject = false;
                break;
            default:
                useDefault = true;
                break;
        }

        if (useDefault)
        {
            foreach (var selector in neverInjectSelector)
            {
                if (!selector.IsEmpty && selector.Matches(pod.Labels))
                {
                    inject = false;
                    useDefault = false;
                    break;
                }
            }
        }
        if (useDefault)
        {
            foreach (var selector in alwaysInjectSelector)
            {
                if (!selector.IsEmpty && selector.Matches(pod.Labels))
                {
                    inject = true;
                    useDefault = false;
                    break;
                }
            }
        }

        return policy switch
        {
            InjectionPolicy.Enabled => useDefault || inject,
            InjectionPolicy.Disabled => !useDefault && inject,
            _ => false,
        };
    }
}
