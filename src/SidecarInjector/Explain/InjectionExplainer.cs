using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using SidecarInjector.Configuration;
using SidecarInjector.Decide;
using SidecarInjector.Decode;
using SidecarInjector.Errors;
using SidecarInjector.Merge;
using SidecarInjector.Patch;
using SidecarInjector.Render;

namespace SidecarInjector.Explain;

/// <summary>What the apiserver and the injector would do with one pod.</summary>
/// <param name="Pod">The pod as admission sees it: <c>metadata</c> and <c>spec</c>.</param>
/// <param name="NamespaceObject">The Namespace as the cluster has it (OpenShift's uid range), when known.</param>
/// <param name="ConfigDescription">Where <paramref name="Config"/> came from, printed with the answer.</param>
internal sealed record ExplainInput(
    string PodName,
    JsonObject Pod,
    string Namespace,
    IReadOnlyDictionary<string, string> NamespaceLabels,
    JsonObject? NamespaceObject,
    IReadOnlyList<V1MutatingWebhookConfiguration> WebhookConfigurations,
    ConfigSnapshot Config,
    string ConfigDescription,
    string Revision);

/// <summary>
/// Answers "why was my pod (not) injected?": which webhooks the apiserver sends the pod to
/// (<see cref="WebhookSelection"/>), then the injector's own decision on it, step for step as the
/// webhook makes it (the same facts reader and Istio's decision table), and, when it injects, the
/// injection itself run dry, so a pod the webhook would deny is reported with the webhook's reason.
/// </summary>
internal static class InjectionExplainer
{
    /// <summary>The label the apiserver puts on every Namespace (1.21+): selectors may name it.</summary>
    public const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    public static InjectionExplanation Explain(ExplainInput input)
    {
        var warnings = new List<string>();
        var namespaceLabels = new Dictionary<string, string>(input.NamespaceLabels, StringComparer.Ordinal);
        namespaceLabels.TryAdd(NamespaceNameLabel, input.Namespace);
        var podLabels = Labels(input.Pod["metadata"]?["labels"]);

        var webhooks = new List<WebhookReport>();
        V1MutatingWebhook? firstSelected = null;
        foreach (var configuration in input.WebhookConfigurations)
        {
            foreach (var webhook in configuration.Webhooks ?? [])
            {
                var report = WebhookSelection.Evaluate(configuration.Metadata?.Name ?? "", webhook, namespaceLabels, podLabels);
                webhooks.Add(report);
                firstSelected ??= report.Selected ? webhook : null;
            }
        }
        var selected = webhooks.FindAll(w => w.Selected);
        if (selected.Count > 1)
        {
            warnings.Add($"{selected.Count} webhooks select this pod ({string.Join(", ", selected.ConvertAll(w => w.Webhook))}): " +
                "the apiserver calls each in turn, and more than one injector may act on it");
        }

        var decision = Decide(input, PathOf(firstSelected), warnings);
        bool alreadyInjected = input.Pod["metadata"]?["annotations"]?[InjectionStatus.AnnotationKey] is not null;
        bool injected = selected.Count > 0 && decision.Inject && decision.Error is null && !decision.NothingToChange;
        return new InjectionExplanation(input.PodName, input.Namespace, injected, Reason(webhooks, selected, decision),
            namespaceLabels, webhooks, decision, alreadyInjected, input.ConfigDescription, warnings);
    }

    /// <summary>The path the apiserver calls (its parameters set proxy env, as on the webhook), service or URL form.</summary>
    private static string PathOf(V1MutatingWebhook? webhook) =>
        webhook?.ClientConfig?.Service?.Path
        ?? (Uri.TryCreate(webhook?.ClientConfig?.Url, UriKind.Absolute, out var url) ? url.AbsolutePath : "/inject");

    private static DecisionReport Decide(ExplainInput input, string path, List<string> warnings)
    {
        var policy = input.Config.Policy.ToString().ToLowerInvariant();
        var bytes = Encoding.UTF8.GetBytes(input.Pod.ToJsonString());
        PodFacts facts;
        try
        {
            PodShape.Check(bytes);
            facts = PodFactsReader.Read(bytes, input.Namespace);
        }
        catch (InjectionException e)
        {
            return new DecisionReport(false, "pod fields", policy, e.Message, false);
        }
        var verdict = InjectionDecision.Decide(input.Config.Policy, input.Config.NeverInjectSelector, input.Config.AlwaysInjectSelector, facts);
        if (!verdict.Inject)
        {
            return new DecisionReport(false, verdict.Describe(), policy, null, false);
        }
        // The injection run dry, as the webhook runs it: what it would deny, it denies here too.
        var pod = (JsonObject)JsonNode.Parse(bytes)!;
        (pod["metadata"] as JsonObject)?.Remove("managedFields");
        try
        {
            var found = new List<string>();
            var cluster = input.NamespaceObject is null ? null : new ClusterNamespace(input.NamespaceObject);
            var injected = PodInjector.Inject(input.Config, pod, input.Namespace, input.Revision, InjectPathParameters.Parse(path),
                warnings: found, cluster: cluster).Pod;
            warnings.AddRange(found);
            return new DecisionReport(true, verdict.Describe(), policy, null, JsonTreeEquality.Equal(pod, injected));
        }
        catch (InjectionException e)
        {
            return new DecisionReport(true, verdict.Describe(), policy, e.Message, false);
        }
    }

    private static string Reason(List<WebhookReport> webhooks, List<WebhookReport> selected, DecisionReport decision)
    {
        if (webhooks.Count == 0)
        {
            return "no webhook of a sidecar injector is configured, so the apiserver sends the pod to none";
        }
        if (selected.Count == 0)
        {
            return "no webhook selects it: " + string.Join("; ", webhooks.ConvertAll(w => $"{w.Webhook}: {w.Reason}"));
        }
        var sent = $"webhook {selected[0].Webhook} sends it to the injector";
        if (!decision.Inject)
        {
            return decision.Error is not null
                ? $"{sent}, which denies it (the pod is not created): {decision.Error}"
                : $"{sent}, which leaves it alone: {decision.Rule}";
        }
        if (decision.Error is not null)
        {
            return $"{sent}, which denies it (the pod is not created): {decision.Error}";
        }
        return decision.NothingToChange
            ? $"{sent}, which finds it already injected: {decision.Rule}; nothing to change"
            : $"{sent}, which injects it: {decision.Rule}";
    }

    /// <summary>A labels map of an object's metadata (pod or Namespace); values that are not strings are left out, as no selector can match them.</summary>
    public static Dictionary<string, string> Labels(JsonNode? labels)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (labels is JsonObject map)
        {
            foreach (var (key, value) in map)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var text))
                {
                    result[key] = text;
                }
            }
        }
        return result;
    }
}
