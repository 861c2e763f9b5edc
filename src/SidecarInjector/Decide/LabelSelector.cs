namespace SidecarInjector.Decide;

/// <summary>A Kubernetes LabelSelector (matchLabels AND matchExpressions).</summary>
internal sealed record LabelSelector(
    IReadOnlyList<KeyValuePair<string, string>> MatchLabels,
    IReadOnlyList<LabelRequirement> MatchExpressions)
{
    /// <summary>
    /// True for a selector with no requirements. Istio skips such selectors rather than letting
    /// them match every pod (inject.go checks <c>!selector.Empty()</c>).
    /// </summary>
    public bool IsEmpty => MatchLabels.Count == 0 && MatchExpressions.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in MatchLabels)
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }
        foreach (var requirement in MatchExpressions)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }
        return true;
    }
}

internal enum SelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

internal sealed record LabelRequirement(string Key, SelectorOperator Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var present = labels.TryGetValue(Key, out var actual);
        return Operator switch
        {
            SelectorOperator.Exists => present,
            SelectorOperator.DoesNotExist => !present,
            SelectorOperator.In => present && Contains(actual!),
            // As in k8s.io/apimachinery labels: NotIn also matches when the key is absent.
            SelectorOperator.NotIn => !present || !Contains(actual!),
            _ => false,
        };
    }

    private bool Contains(string value)
    {
        foreach (var v in Values)
        {
            if (v == value)
            {
                return true;
            }
        }
        return false;
    }
}
