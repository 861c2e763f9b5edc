using System.Text.Json;
using SidecarInjector.CommandLine;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.CommandLine;

/// <summary>`explain`: check-inject's answer offline, for each pod of a manifest, in text or JSON.</summary>
public sealed class ExplainCommandTests
{
    private const string Manifest = SampleManifests.WebDeployment + """
        ---
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly, namespace: shop}
        spec:
          schedule: "@daily"
          jobTemplate:
            metadata: {labels: {sidecar.istio.io/inject: "true"}}
            spec:
              template:
                metadata: {labels: {sidecar.istio.io/inject: "false"}}
                spec:
                  restartPolicy: Never
                  containers: [{name: job, image: busybox}]
        """;

    private static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = ExplainCommand.Run(args, new StringReader(stdin), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Json_has_injected_and_reason_for_each_pod_of_the_manifest()
    {
        var (code, output, error) = Run(Manifest, "-f", "-", "--namespace-labels", "sidecar-injection=enabled", "-o", "json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var pods = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, pods.Count);
        Assert.Equal(("Deployment web", "shop", true), (pods[0].GetProperty("pod").GetString(), pods[0].GetProperty("namespace").GetString(), pods[0].GetProperty("injected").GetBoolean()));
        Assert.Contains("injects it: policy enabled", pods[0].GetProperty("reason").GetString());
        // The CronJob's pods carry its pod template's labels (not the jobTemplate's): opted out, never sent.
        Assert.False(pods[1].GetProperty("injected").GetBoolean());
        Assert.Contains("has sidecar.istio.io/inject=false", pods[1].GetProperty("reason").GetString());
        Assert.Equal("label sidecar.istio.io/inject=\"false\"", pods[1].GetProperty("decision").GetProperty("rule").GetString());
    }

    [Fact]
    public void One_pod_is_one_object_and_text_leads_with_the_verdict()
    {
        var single = SampleManifests.WebDeployment;
        var (code, output, _) = Run(single, "-f", "-", "-n", "other", "-o", "json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
        Assert.Equal("other", json.RootElement.GetProperty("namespace").GetString());
        Assert.False(json.RootElement.GetProperty("injected").GetBoolean());

        var (_, text, _) = Run(single, "-f", "-", "--namespace-labels", "sidecar-injection=enabled");
        Assert.StartsWith("Deployment web in namespace shop: INJECTED", text);
        Assert.Contains("webhook sidecar-injector/sidecar-injector.sidecar-injector.svc: selects it", text);
    }

    [Fact]
    public void Webhooks_from_webhook_config_replace_the_deployed_one()
    {
        using var webhooks = new StringWriter();
        Assert.Equal(0, WebhookConfigCommand.Run(["--revision", "canary", "--service", "sidecar-injector/sidecar-injector-canary"], webhooks, TextWriter.Null));
        var file = Path.GetTempFileName();
        File.WriteAllText(file, webhooks.ToString());
        var single = SampleManifests.WebDeployment;

        var (code, output, error) = Run(single, "-f", "-", "--webhook-config", file, "--namespace-labels", "istio.io/rev=canary", "-o", "json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.GetProperty("injected").GetBoolean());
        Assert.Contains("rev.namespace.sidecar-injector.istio.io", json.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public void A_pod_with_only_generateName_is_named_as_the_apiserver_will_name_it()
    {
        var (code, output, _) = Run("apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\nspec:\n  containers: [{name: web, image: nginx}]\n",
            "-f", "-", "-o", "json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("Pod web-<generated>", json.RootElement.GetProperty("pod").GetString());
    }

    [Theory]
    [InlineData(new[] { "-o", "json" }, "-f FILE")]
    [InlineData(new[] { "-f", "-", "-o", "yaml" }, "give json or text")]
    [InlineData(new[] { "-f", "-", "--namespace-labels", "novalue" }, "'novalue' is not key=value")]
    [InlineData(new[] { "-f", "-", "--bogus" }, "unknown flag")]
    public void Usage_mistakes_are_named(string[] args, string message)
    {
        var (code, _, error) = Run(Manifest, args);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public void A_manifest_without_pods_or_a_broken_one_is_an_error_not_a_crash()
    {
        var (code, _, error) = Run("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "-f", "-");
        Assert.Equal(1, code);
        Assert.Contains("has no pod or workload", error);
        (code, _, error) = Run("kind: Pod\nmetadata: [unclosed\n", "-f", "-");
        Assert.Equal(1, code);
        Assert.Contains("<stdin>:", error);
    }
}
