namespace SidecarInjector.Explain;

/// <summary>check-inject's and explain's answer for people: the verdict first, then the evidence.</summary>
internal static class ExplanationText
{
    /// <summary>Text, or with <paramref name="json"/> one JSON object (a list when there are several pods).</summary>
    public static void WriteAll(IReadOnlyList<InjectionExplanation> explanations, bool json, TextWriter output)
    {
        if (json)
        {
            output.WriteLine(explanations.Count == 1
                ? System.Text.Json.JsonSerializer.Serialize(explanations[0], ExplainJson.Default.InjectionExplanation)
                : System.Text.Json.JsonSerializer.Serialize([.. explanations], ExplainJson.Default.ListInjectionExplanation));
            return;
        }
        foreach (var explanation in explanations)
        {
            Write(explanation, output);
        }
    }

    public static void Write(InjectionExplanation explanation, TextWriter output)
    {
        output.WriteLine($"{explanation.Pod} in namespace {explanation.Namespace}: {(explanation.Injected ? "INJECTED" : "NOT INJECTED")}");
        output.WriteLine($"  reason: {explanation.Reason}");
        var labels = new List<string>();
        foreach (var (key, value) in explanation.NamespaceLabels)
        {
            labels.Add($"{key}={value}");
        }
        labels.Sort(StringComparer.Ordinal);
        output.WriteLine($"  namespace labels: {string.Join(", ", labels)}");
        foreach (var webhook in explanation.Webhooks)
        {
            output.WriteLine($"  webhook {webhook.Configuration}/{webhook.Webhook}: {(webhook.Selected ? "selects it" : "does not select it")} ({webhook.Reason})");
        }
        var decision = explanation.Decision;
        var verdict = decision.Error is not null ? "denies it: " + decision.Error
            : !decision.Inject ? "leaves it alone"
            : decision.NothingToChange ? "finds nothing to change"
            : "injects it";
        output.WriteLine($"  injector ({explanation.Config}, policy {decision.Policy}): {verdict} (rule: {decision.Rule})");
        if (explanation.AlreadyInjected)
        {
            output.WriteLine("  the pod already carries a sidecar.istio.io/status annotation (injected before)");
        }
        foreach (var warning in explanation.Warnings)
        {
            output.WriteLine("  warning: " + warning);
        }
    }
}
