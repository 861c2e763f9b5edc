extern alias KubernetesAot;
using System.Text.Json.Nodes;
using KubernetesAot::k8s.Models;
using SidecarInjector.Cluster;
using SidecarInjector.Configuration;
using SidecarInjector.Explain;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Explain;

/// <summary>
/// "Why was my pod (not) injected?": every reason a pod is or is not injected is named, and the
/// answer agrees with what the webhook itself does with the same pod (random pods, two configs).
/// </summary>
public sealed class InjectionExplainerTests
{
    private static readonly List<V1MutatingWebhookConfiguration> Deployed = InjectorWebhooks.Deployed();

    private static JsonObject Pod(string labels = "", string annotations = "", bool hostNetwork = false)
    {
        var pod = Reviews.SamplePod();
        foreach (var (holder, pairs) in new[] { ("labels", labels), ("annotations", annotations) })
        {
            foreach (var pair in pairs.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var map = pod["metadata"]![holder] as JsonObject ?? (JsonObject)(pod["metadata"]![holder] = new JsonObject());
                map[pair[..pair.IndexOf('=')]] = pair[(pair.IndexOf('=') + 1)..];
            }
        }
        if (hostNetwork)
        {
            pod["spec"]!["hostNetwork"] = true;
        }
        return pod;
    }

    private static InjectionExplanation Explain(JsonObject pod, string ns = "shop", string namespaceLabels = "sidecar-injection=enabled",
        ConfigSnapshot? config = null, IReadOnlyList<V1MutatingWebhookConfiguration>? webhooks = null)
    {
        var labels = namespaceLabels.Split(',', StringSplitOptions.RemoveEmptyEntries).ToDictionary(p => p.Split('=')[0], p => p.Split('=')[1]);
        return InjectionExplainer.Explain(new ExplainInput("pod web", pod, ns, labels, null, webhooks ?? Deployed,
            config ?? InProcess.DefaultConfig, "test config", "default"));
    }

    [Fact]
    public void A_pod_in_a_selected_namespace_is_injected_by_the_policy()
    {
        var answer = Explain(Pod());
        Assert.True(answer.Injected, answer.Reason);
        Assert.Equal("webhook sidecar-injector.sidecar-injector.svc sends it to the injector, which injects it: policy enabled", answer.Reason);
        Assert.True(Assert.Single(answer.Webhooks).Selected);
        Assert.Equal("shop", answer.NamespaceLabels[InjectionExplainer.NamespaceNameLabel]);
    }

    [Fact]
    public void A_namespace_without_the_label_is_named_with_the_label_it_needs()
    {
        var answer = Explain(Pod(), namespaceLabels: "team=a");
        Assert.False(answer.Injected);
        Assert.Contains("namespaceSelector (sidecar-injection=enabled) does not match the namespace: needs sidecar-injection=enabled, has no sidecar-injection label",
            answer.Reason);
        // The injector would have injected it: the webhook is what keeps it away.
        Assert.True(answer.Decision.Inject);
    }

    [Fact]
    public void A_pod_that_opts_out_by_label_is_never_sent()
    {
        var answer = Explain(Pod(labels: "sidecar.istio.io/inject=false"));
        Assert.False(answer.Injected);
        Assert.Contains("objectSelector", answer.Reason);
        Assert.Contains("has sidecar.istio.io/inject=false", answer.Reason);
        Assert.Equal("label sidecar.istio.io/inject=\"false\"", answer.Decision.Rule);
    }

    [Theory]
    [InlineData("", "sidecar.istio.io/inject=false", false, "shop", "annotation sidecar.istio.io/inject=\"false\"")]
    [InlineData("", "", true, "shop", "spec.hostNetwork is true")]
    [InlineData("", "", false, "kube-system", "namespace is never injected")]
    public void A_pod_the_webhook_sends_but_the_injector_declines_names_the_rule(string labels, string annotations, bool hostNetwork, string ns, string rule)
    {
        var answer = Explain(Pod(labels, annotations, hostNetwork), ns);
        Assert.False(answer.Injected);
        Assert.Equal($"webhook sidecar-injector.sidecar-injector.svc sends it to the injector, which leaves it alone: {rule}", answer.Reason);
        Assert.Equal(rule, answer.Decision.Rule);
    }

    [Fact]
    public void The_configs_selectors_and_policy_are_the_rule_when_they_decide()
    {
        var never = InProcess.Config("policy: enabled\nneverInjectSelector:\n- matchLabels: {tier: batch}\ntemplates:\n  sidecar: |\n    spec:\n      containers:\n      - name: proxy\n        image: proxy\n");
        Assert.EndsWith("neverInjectSelector[0] matches", Explain(Pod(labels: "tier=batch"), config: never).Reason);

        var disabled = InProcess.Config("policy: disabled\ntemplates:\n  sidecar: |\n    spec:\n      containers:\n      - name: proxy\n        image: proxy\n");
        var off = Explain(Pod(), config: disabled);
        Assert.False(off.Injected);
        Assert.EndsWith("leaves it alone: policy disabled", off.Reason);
        var on = Explain(Pod(annotations: "sidecar.istio.io/inject=true"), config: disabled);
        Assert.True(on.Injected);
        Assert.EndsWith("injects it: annotation sidecar.istio.io/inject=\"true\"", on.Reason);
    }

    [Fact]
    public void A_pod_the_injector_would_deny_says_so_with_the_webhooks_message()
    {
        var answer = Explain(Pod(annotations: "traffic.sidecar.istio.io/includeInboundPorts=eighty"));
        Assert.False(answer.Injected);
        Assert.Contains("which denies it (the pod is not created)", answer.Reason);
        Assert.Contains("includeInboundPorts", answer.Decision.Error);
    }

    [Fact]
    public void A_pod_already_injected_has_nothing_to_change()
    {
        var pod = Pod();
        var injected = Reviews.Patched(pod, InProcess.Send(Reviews.Review(pod, ns: "shop")));
        var answer = Explain(injected);
        Assert.False(answer.Injected);
        Assert.True(answer.AlreadyInjected);
        Assert.EndsWith("which finds it already injected: policy enabled; nothing to change", answer.Reason);
    }

    [Fact]
    public void Webhooks_that_do_not_cover_pods_or_are_missing_are_said_to_be()
    {
        var configMapsOnly = InjectorWebhooks.Parse("""
            apiVersion: admissionregistration.k8s.io/v1
            kind: MutatingWebhookConfiguration
            metadata: {name: other}
            webhooks:
            - name: cm.example.com
              rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
            """, "test");
        Assert.Equal("no webhook selects it: cm.example.com: its rules do not cover pod CREATE", Explain(Pod(), webhooks: configMapsOnly).Reason);
        Assert.Equal("no webhook of a sidecar injector is configured, so the apiserver sends the pod to none", Explain(Pod(), webhooks: []).Reason);
    }

    [Fact]
    public void Revisions_choose_their_pods_and_two_that_select_one_pod_are_warned_of()
    {
        var canary = RevisionWebhooks.Build("canary", null, false, "sidecar-injector", "sidecar-injector-canary", null);
        var stable = RevisionWebhooks.Build("stable", null, true, "sidecar-injector", "sidecar-injector", null);
        var answer = Explain(Pod(), namespaceLabels: "istio.io/rev=canary", webhooks: [canary, stable]);
        Assert.True(answer.Injected);
        Assert.Equal(["rev.namespace.sidecar-injector.istio.io"], answer.Webhooks.Where(w => w.Selected).Select(w => w.Webhook));
        Assert.Empty(answer.Warnings);

        // A pod that names a revision in a namespace that takes the default: the default's namespace webhook takes it.
        var both = Explain(Pod(labels: "istio.io/rev=canary"), namespaceLabels: "istio-injection=enabled", webhooks: [canary, stable]);
        Assert.Equal("namespace.sidecar-injector.istio.io", Assert.Single(both.Webhooks, w => w.Selected).Webhook);

        // The deploy/ webhook beside Istio-style revisions: both select a pod of a namespace labelled for each.
        var twice = Explain(Pod(), namespaceLabels: "sidecar-injection=enabled,istio-injection=enabled", webhooks: [.. Deployed, stable]);
        Assert.Contains(twice.Warnings, w => w.StartsWith("2 webhooks select this pod", StringComparison.Ordinal));
    }

    [Fact]
    public void MatchConditions_are_named_as_not_evaluated()
    {
        var withConditions = InjectorWebhooks.Parse("""
            apiVersion: admissionregistration.k8s.io/v1
            kind: MutatingWebhookConfiguration
            metadata: {name: cel}
            webhooks:
            - name: cel.example.com
              rules: [{operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"]}]
              matchConditions: [{name: not-system, expression: "!request.userInfo.username.startsWith('system:')"}]
            """, "test");
        var report = Assert.Single(Explain(Pod(), webhooks: withConditions).Webhooks);
        Assert.True(report.Selected);
        Assert.Contains("1 matchConditions (CEL) are not evaluated here", report.Reason);
    }

    /// <summary>The explanation is the webhook's answer: injected exactly when the webhook patches, denied exactly when it denies.</summary>
    [Theory]
    [InlineData("policy: enabled")]
    [InlineData("policy: disabled\nalwaysInjectSelector:\n- matchExpressions: [{key: version, operator: Exists}]")]
    public void The_decision_agrees_with_the_webhook_on_random_pods(string policy)
    {
        var config = InProcess.Config(policy + "\ntemplates:\n  sidecar: |\n    spec:\n      containers:\n      - name: proxy\n        image: proxy\n" +
            "      volumes:\n      - name: proxy-data\n        emptyDir: {}\n");
        var workloads = new RandomWorkloads(seed: 11);
        int injected = 0, declined = 0;
        for (int i = 0; i < 300; i++)
        {
            var workload = workloads.Next();
            var pod = workloads.Pod(workload, 0);
            // A third of them switched off or on explicitly, by label or by annotation.
            if (i % 3 == 0)
            {
                var holder = i % 2 == 0 ? "labels" : "annotations";
                var map = pod["metadata"]![holder] as JsonObject ?? (JsonObject)(pod["metadata"]![holder] = new JsonObject());
                map["sidecar.istio.io/inject"] = i % 4 == 0 ? "true" : "false";
            }
            var webhook = InProcess.Send(Reviews.Review(pod, ns: workload.Namespace), config);
            var answer = Explain(pod, workload.Namespace, config: config, webhooks: []);
            bool patched = webhook.Allowed && webhook.Patch is { Length: > 2 };
            Assert.True(patched == (answer.Decision.Inject && answer.Decision.Error is null && !answer.Decision.NothingToChange),
                $"pod {i}: webhook {(patched ? "patched" : webhook.Allowed ? "left it" : "denied: " + webhook.Message)}, explain: {answer.Decision}");
            Assert.Equal(!webhook.Allowed, answer.Decision.Error is not null);
            (patched ? ref injected : ref declined)++;
        }
        // Both answers occur, so the comparison says something.
        Assert.True(injected > 20 && declined > 20, $"{injected} injected, {declined} not");
    }
}
