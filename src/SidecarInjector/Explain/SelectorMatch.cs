using k8s.Models;

namespace SidecarInjector.Explain;

/// <summary>
/// A label selector evaluated as the apiserver evaluates a webhook's namespaceSelector and
/// objectSelector (apimachinery's labels.Selector): every matchLabels pair and every matchExpressions
/// requirement must hold; <c>NotIn</c> and <c>DoesNotExist</c> hold when the key is absent; a missing
/// or empty selector matches everything. Says which requirement failed, in the selector's own words.
/// </summary>
internal static class SelectorMatch
{
    /// <summary>Null when <paramref name="selector"/> matches <paramref name="labels"/>; else the first requirement that does not hold.</summary>
    public static string? FirstMismatch(V1LabelSelector? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return null;
        }
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return $"needs {key}={value}, {Has(labels, key)}";
            }
        }
        foreach (var requirement in selector.MatchExpressions ?? [])
        {
            var key = requirement.Key;
            var values = requirement.Values ?? [];
            bool present = labels.TryGetValue(key, out var actual);
            bool holds = requirement.OperatorProperty switch
            {
                "In" => present && values.Contains(actual!),
                "NotIn" => !present || !values.Contains(actual!),
                "Exists" => present,
                "DoesNotExist" => !present,
                _ => false,
            };
            if (!holds)
            {
                return $"needs {Describe(requirement)}, {Has(labels, key)}";
            }
        }
        return null;
    }

    /// <summary>The selector as kubectl's <c>-l</c> would take it, or "everything" when it selects all.</summary>
    public static string Describe(V1LabelSelector? selector)
    {
        var parts = new List<string>();
        foreach (var (key, value) in selector?.MatchLabels ?? new Dictionary<string, string>())
        {
            parts.Add($"{key}={value}");
        }
        foreach (var requirement in selector?.MatchExpressions ?? [])
        {
            parts.Add(Describe(requirement));
        }
        return parts.Count == 0 ? "everything" : string.Join(", ", parts);
    }

    private static string Describe(V1LabelSelectorRequirement requirement) => requirement.OperatorProperty switch
    {
        "In" => $"{requirement.Key} in ({string.Join(",", requirement.Values ?? [])})",
        "NotIn" => $"{requirement.Key} notin ({string.Join(",", requirement.Values ?? [])})",
        "Exists" => requirement.Key,
        "DoesNotExist" => "!" + requirement.Key,
        _ => $"{requirement.Key} {requirement.OperatorProperty} (an operator Kubernetes does not know)",
    };

    private static string Has(IReadOnlyDictionary<string, string> labels, string key) =>
        labels.TryGetValue(key, out var actual) ? $"has {key}={actual}" : $"has no {key} label";
}
