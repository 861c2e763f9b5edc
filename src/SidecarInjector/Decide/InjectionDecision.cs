namespace SidecarInjector.Decide;

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
        PodFacts pod) => Decide(policy, neverInjectSelector, alwaysInjectSelector, pod).Inject;

    public static InjectionVerdict Decide(
        InjectionPolicy policy,
        IReadOnlyList<LabelSelector> neverInjectSelector,
        IReadOnlyList<LabelSelector> alwaysInjectSelector,
        PodFacts pod)
    {
        if (pod.HostNetwork)
        {
            return new(false, DecisionRule.HostNetwork, policy);
        }
        if (IgnoredNamespaces.Contains(pod.Namespace))
        {
            return new(false, DecisionRule.IgnoredNamespace, policy);
        }

        // The label wins over the annotation; only "true" and "false" are explicit answers.
        var rule = DecisionRule.Annotation;
        pod.Annotations.TryGetValue(InjectKey, out var requested);
        if (pod.Labels.TryGetValue(InjectKey, out var labelValue))
        {
            requested = labelValue;
            rule = DecisionRule.Label;
        }

        bool inject = false;
        bool useDefault = false;
        int selectorIndex = -1;
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
                rule = DecisionRule.Policy;
                break;
        }

        if (useDefault)
        {
            for (int i = 0; i < neverInjectSelector.Count; i++)
            {
                var selector = neverInjectSelector[i];
                if (!selector.IsEmpty && selector.Matches(pod.Labels))
                {
                    inject = false;
                    useDefault = false;
                    (rule, selectorIndex) = (DecisionRule.NeverInjectSelector, i);
                    break;
                }
            }
        }
        if (useDefault)
        {
            for (int i = 0; i < alwaysInjectSelector.Count; i++)
            {
                var selector = alwaysInjectSelector[i];
                if (!selector.IsEmpty && selector.Matches(pod.Labels))
                {
                    inject = true;
                    useDefault = false;
                    (rule, selectorIndex) = (DecisionRule.AlwaysInjectSelector, i);
                    break;
                }
            }
        }

        bool required = policy switch
        {
            InjectionPolicy.Enabled => useDefault || inject,
            InjectionPolicy.Disabled => !useDefault && inject,
            _ => false,
        };
        return new(required, rule, policy, selectorIndex);
    }
}
