using k8s;
using k8s.Models;
using SidecarInjector.CommandLine;
using SidecarInjector.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace SidecarInjector.Tests.Deploy;

/// <summary>
/// deploy/revisions/canary, rendered by kubectl's kustomize: a second injector that runs beside the
/// stable one without taking its pods, Service or webhook, with a webhook configuration that is
/// `webhook-config`'s own output and names the canary's Service, and RBAC for that object alone.
/// </summary>
public sealed class RevisionOverlayTests
{
    private const string Overlay = "deploy/revisions/canary";

    [SkippableFact]
    public void The_webhook_configuration_is_webhook_configs_output()
    {
        using var generated = new StringWriter();
        Assert.Equal(0, WebhookConfigCommand.Run(["--revision", "canary", "--service", "sidecar-injector/sidecar-injector-canary"], generated, TextWriter.Null));
        var committed = File.ReadAllText(Path.Combine(Paths.RepositoryRoot, Overlay, "webhook.json"));
        Assert.True(generated.ToString() == committed,
            "deploy/revisions/canary/webhook.json differs from `sidecar-injector webhook-config --revision canary --service sidecar-injector/sidecar-injector-canary`: regenerate it");
    }

    [SkippableFact]
    public void The_canary_is_wired_to_its_own_service_webhook_secret_and_rbac()
    {
        var canary = Objects(Kustomize.Render(Overlay));
        var stable = Objects(Kustomize.Render("deploy/self-signed"));

        var deployment = Single<V1Deployment>(canary);
        var args = deployment.Spec.Template.Spec.Containers[0].Args;
        Assert.Contains("--revision=canary", args);
        var webhookConfigName = Assert.Single(args, a => a.StartsWith("--webhook-config-name=", StringComparison.Ordinal))["--webhook-config-name=".Length..];

        var webhook = Single<V1MutatingWebhookConfiguration>(canary);
        Assert.Equal(webhookConfigName, webhook.Metadata.Name);
        Assert.All(webhook.Webhooks, w => Assert.Null(w.ClientConfig.CaBundle));
        var service = Single<V1Service>(canary);
        Assert.All(webhook.Webhooks, w => Assert.Equal((service.Metadata.NamespaceProperty, service.Metadata.Name),
            (w.ClientConfig.Service.NamespaceProperty, w.ClientConfig.Service.Name)));

        // RBAC: the canary may patch its own webhook configuration and no other.
        var role = Single<V1ClusterRole>(canary);
        Assert.Equal([webhookConfigName], role.Rules.Single(r => r.Resources.Contains("mutatingwebhookconfigurations")).ResourceNames);
        Assert.Equal(Single<V1ServiceAccount>(canary).Metadata.Name, Single<V1ClusterRoleBinding>(canary).Subjects.Single().Name);
        Assert.Equal(role.Metadata.Name, Single<V1ClusterRoleBinding>(canary).RoleRef.Name);

        // Its own Secret (make-certs.sh SERVICE=... SECRET=...) and ConfigMap.
        var volumes = deployment.Spec.Template.Spec.Volumes;
        Assert.Contains(volumes, v => v.Secret?.SecretName == "sidecar-injector-canary-tls");
        Assert.Contains(volumes, v => v.ConfigMap?.Name == Single<V1ConfigMap>(canary).Metadata.Name);
        Assert.Equal("sidecar-injector-canary", service.Metadata.Name);

        // Nothing of the stable revision is replaced, and no Namespace is created or renamed.
        var stableNames = stable.Select(o => (o.Kind, o.Name)).ToHashSet();
        Assert.DoesNotContain(canary, o => stableNames.Contains((o.Kind, o.Name)));
        Assert.DoesNotContain(canary, o => o.Kind == "Namespace");
        Assert.All(canary.Where(o => o.Namespace is not null), o => Assert.Equal("sidecar-injector", o.Namespace));

        // Each Service, PodDisruptionBudget and spread constraint takes its own revision's pods only.
        var stableDeployment = Single<V1Deployment>(stable);
        var canaryPods = deployment.Spec.Template.Metadata.Labels;
        var stablePods = stableDeployment.Spec.Template.Metadata.Labels;
        Assert.False(Selects(Single<V1Service>(stable).Spec.Selector, canaryPods));
        Assert.False(Selects(service.Spec.Selector, stablePods));
        Assert.True(Selects(service.Spec.Selector, canaryPods));
        Assert.False(Selects(Single<V1PodDisruptionBudget>(stable).Spec.Selector.MatchLabels, canaryPods));
        Assert.True(Selects(Single<V1PodDisruptionBudget>(canary).Spec.Selector.MatchLabels, canaryPods));
        Assert.All(deployment.Spec.Template.Spec.TopologySpreadConstraints, t => Assert.True(Selects(t.LabelSelector.MatchLabels, canaryPods)));
        Assert.All(deployment.Spec.Template.Spec.TopologySpreadConstraints, t => Assert.False(Selects(t.LabelSelector.MatchLabels, stablePods)));

        // The injector's own pods are never sent to either injector.
        Assert.Equal("false", canaryPods["sidecar.istio.io/inject"]);
    }

    private static bool Selects(IDictionary<string, string> selector, IDictionary<string, string> labels) =>
        selector.All(p => labels.TryGetValue(p.Key, out var v) && v == p.Value);

    private sealed record RenderedObject(string Kind, string Name, string? Namespace, string Yaml);

    private static List<RenderedObject> Objects(string rendered)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(rendered));
        var objects = new List<RenderedObject>();
        foreach (var document in stream.Documents)
        {
            var root = (YamlMappingNode)document.RootNode;
            var metadata = (YamlMappingNode)root["metadata"];
            using var text = new StringWriter();
            new YamlStream(new YamlDocument(root)).Save(text, assignAnchors: false);
            objects.Add(new RenderedObject(root["kind"].ToString(), metadata["name"].ToString(),
                metadata.Children.TryGetValue("namespace", out var ns) ? ns.ToString() : null, text.ToString()));
        }
        return objects;
    }

    private static T Single<T>(List<RenderedObject> objects) =>
        KubernetesYaml.Deserialize<T>(Assert.Single(objects, o => o.Kind == typeof(T).Name[2..]).Yaml);
}
