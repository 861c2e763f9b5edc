using System.Text;
using k8s;
using k8s.Models;
using SidecarInjector.CommandLine;

namespace SidecarInjector.Tests.CommandLine;

/// <summary>
/// `webhook-config` prints a MutatingWebhookConfiguration Kubernetes' own models read whole, whose
/// selectors send the apiserver exactly the pods Istio's revision webhooks would.
/// </summary>
public sealed class WebhookConfigCommandTests
{
    private static V1MutatingWebhookConfiguration Generate(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.True(WebhookConfigCommand.Run(args, stdout, stderr) == 0, stderr.ToString());
        return KubernetesJson.Deserialize<V1MutatingWebhookConfiguration>(stdout.ToString());
    }

    /// <summary>The webhooks of <paramref name="config"/> the apiserver calls for a pod with these labels in a namespace with these.</summary>
    private static List<string> Called(V1MutatingWebhookConfiguration config, Dictionary<string, string> ns, Dictionary<string, string> pod) =>
        [.. config.Webhooks.Where(w => Matches(w.NamespaceSelector, ns) && Matches(w.ObjectSelector, pod)).Select(w => w.Name)];

    private static bool Matches(V1LabelSelector selector, Dictionary<string, string> labels) =>
        selector.MatchExpressions.All(r => r.OperatorProperty switch
        {
            "In" => labels.TryGetValue(r.Key, out var v) && r.Values.Contains(v),
            "NotIn" => !labels.TryGetValue(r.Key, out var v) || !r.Values.Contains(v),
            "Exists" => labels.ContainsKey(r.Key),
            "DoesNotExist" => !labels.ContainsKey(r.Key),
            _ => throw new InvalidOperationException(r.OperatorProperty),
        });

    private static Dictionary<string, string> Labels(params string[] pairs) =>
        pairs.Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);

    [Fact]
    public void A_revision_takes_its_namespaces_and_pods_and_no_others()
    {
        var canary = Generate("--revision", "canary", "--service", "sidecar-injector/sidecar-injector-canary");
        Assert.Equal("sidecar-injector-canary", canary.Metadata.Name);
        Assert.All(canary.Webhooks, w => Assert.Equal(("sidecar-injector", "sidecar-injector-canary", "/inject"),
            (w.ClientConfig.Service.NamespaceProperty, w.ClientConfig.Service.Name, w.ClientConfig.Service.Path)));

        Assert.Single(Called(canary, Labels("istio.io/rev=canary"), Labels("app=web")));
        Assert.Single(Called(canary, Labels(), Labels("istio.io/rev=canary")));
        Assert.Empty(Called(canary, Labels("istio.io/rev=canary"), Labels("sidecar.istio.io/inject=false")));
        Assert.Empty(Called(canary, Labels("istio.io/rev=stable"), Labels()));
        // istio-injection on the namespace belongs to the default revision, even beside istio.io/rev.
        Assert.Empty(Called(canary, Labels("istio-injection=enabled", "istio.io/rev=canary"), Labels()));
        Assert.Empty(Called(canary, Labels("istio-injection=enabled"), Labels()));
        Assert.Empty(Called(canary, Labels(), Labels("sidecar.istio.io/inject=true")));
    }

    [Fact]
    public void The_default_revision_also_takes_istio_injection_namespaces_and_inject_true_pods()
    {
        var config = Generate("--revision", "default", "--default", "--service", "sidecar-injector/sidecar-injector");
        Assert.Equal("sidecar-injector", config.Metadata.Name);
        Assert.Single(Called(config, Labels("istio-injection=enabled"), Labels()));
        Assert.Single(Called(config, Labels(), Labels("sidecar.istio.io/inject=true")));
        Assert.Single(Called(config, Labels("istio.io/rev=default"), Labels()));
        Assert.Empty(Called(config, Labels("istio-injection=enabled"), Labels("sidecar.istio.io/inject=false")));
        Assert.Empty(Called(config, Labels(), Labels("sidecar.istio.io/inject=true", "istio.io/rev=canary")));
        Assert.Empty(Called(config, Labels(), Labels()));
    }

    [Fact]
    public void A_tag_selects_by_its_own_name_and_calls_its_revisions_service()
    {
        var ca = Path.GetTempFileName();
        File.WriteAllText(ca, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        var prod = Generate("--revision", "1-24", "--tag", "prod", "--service", "sidecar-injector/sidecar-injector-1-24", "--ca-file", ca);
        Assert.Equal("sidecar-injector-tag-prod", prod.Metadata.Name);
        Assert.Equal("prod", prod.Metadata.Labels["istio.io/tag"]);
        Assert.Single(Called(prod, Labels("istio.io/rev=prod"), Labels()));
        Assert.Empty(Called(prod, Labels("istio.io/rev=1-24"), Labels()));
        Assert.All(prod.Webhooks, w => Assert.Equal(File.ReadAllBytes(ca), w.ClientConfig.CaBundle));
        File.Delete(ca);
    }

    [Theory]
    [InlineData("--service", "sidecar-injector/x")]
    [InlineData("--revision", "canary")]
    [InlineData("--revision", "canary", "--service", "no-namespace")]
    [InlineData("--revision", "-bad", "--service", "a/b")]
    [InlineData("--revision", "canary", "--service", "a/b", "--ca-file", "/nonexistent/ca.crt")]
    [InlineData("--revision", "canary", "--service", "a/b", "--unknown")]
    public void Bad_arguments_are_refused_with_the_usage(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.Equal(2, WebhookConfigCommand.Run(args, stdout, stderr));
        Assert.Contains("Usage:", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
    }
}
