using k8s.Models;

namespace SidecarInjector.Explain;

/// <summary>
/// Which webhooks the apiserver calls for a pod CREATE: a webhook whose rules cover pods and whose
/// namespaceSelector (on the namespace's labels) and objectSelector (on the pod's) both match.
/// matchConditions are CEL, which is not evaluated here: a webhook that has them is reported as
/// selecting the pod unless they exclude it, and says so.
/// </summary>
internal static class WebhookSelection
{
    public static WebhookReport Evaluate(string configuration, V1MutatingWebhook webhook,
        IReadOnlyDictionary<string, string> namespaceLabels, IReadOnlyDictionary<string, string> podLabels)
    {
        if (!CoversPodCreate(webhook.Rules))
        {
            return new(configuration, webhook.Name, false, "its rules do not cover pod CREATE");
        }
        if (SelectorMatch.FirstMismatch(webhook.NamespaceSelector, namespaceLabels) is { } namespaceMiss)
        {
            return new(configuration, webhook.Name, false,
                $"namespaceSelector ({SelectorMatch.Describe(webhook.NamespaceSelector)}) does not match the namespace: {namespaceMiss}");
        }
        if (SelectorMatch.FirstMismatch(webhook.ObjectSelector, podLabels) is { } objectMiss)
        {
            return new(configuration, webhook.Name, false,
                $"objectSelector ({SelectorMatch.Describe(webhook.ObjectSelector)}) does not match the pod: {objectMiss}");
        }
        var reason = $"namespaceSelector ({SelectorMatch.Describe(webhook.NamespaceSelector)}) and objectSelector " +
            $"({SelectorMatch.Describe(webhook.ObjectSelector)}) match";
        if (webhook.MatchConditions is { Count: > 0 } conditions)
        {
            reason += $"; its {conditions.Count} matchConditions (CEL) are not evaluated here and may still exclude the pod";
        }
        return new(configuration, webhook.Name, true, reason);
    }

    /// <summary>A rule for CREATE of core/v1 pods (or a wildcard that includes them), in any scope that holds pods.</summary>
    public static bool CoversPodCreate(IList<V1RuleWithOperations>? rules)
    {
        foreach (var rule in rules ?? [])
        {
            if (Has(rule.Operations, "CREATE") && Has(rule.ApiGroups, "") && Has(rule.ApiVersions, "v1")
                && (Has(rule.Resources, "pods") || Contains(rule.Resources, "*/*"))
                && rule.Scope is null or "*" or "Namespaced")
            {
                return true;
            }
        }
        return false;
    }

    private static bool Has(IList<string>? values, string wanted) => Contains(values, wanted) || Contains(values, "*");

    private static bool Contains(IList<string>? values, string wanted)
    {
        foreach (var value in values ?? [])
        {
            if (value == wanted)
            {
                return true;
            }
        }
        return false;
    }
}
