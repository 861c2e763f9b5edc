using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.CommandLine;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.CommandLine;

/// <summary>
/// `check-inject` asks the cluster (the stand-in apiserver, over TLS with a kubeconfig): the live
/// pod, its Namespace, the injectors' webhook configurations and the injector's ConfigMap; and
/// answers for pods that are and are not selected, for each reason.
/// </summary>
public sealed class CheckInjectCommandTests
{
    private static JsonObject Namespace(string name, string labels = "") => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = Labels($"kubernetes.io/metadata.name={name}" + (labels.Length > 0 ? "," + labels : "")),
        },
    };

    private static JsonObject Labels(string pairs)
    {
        var labels = new JsonObject();
        foreach (var pair in pairs.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            labels[pair.Split('=')[0]] = pair.Split('=')[1];
        }
        return labels;
    }

    private static JsonObject Pod(string ns, string name, string labels = "")
    {
        var pod = Reviews.SamplePod();
        pod["apiVersion"] = "v1";
        pod["kind"] = "Pod";
        pod["metadata"]!["name"] = name;
        pod["metadata"]!["namespace"] = ns;
        foreach (var (key, value) in Labels(labels))
        {
            pod["metadata"]!["labels"]![key] = value!.DeepClone();
        }
        return pod;
    }

    /// <summary>A cluster as deploy/ leaves it: its webhook configuration, a labelled namespace and one that is not.</summary>
    private static async Task<(StandInApiServer Api, string Kubeconfig)> ClusterAsync()
    {
        var api = await StandInApiServer.StartAsync();
        var deployed = JsonNode.Parse(JsonSerializer.Serialize(
            SidecarInjector.Explain.InjectorWebhooks.Deployed()[0], SidecarInjector.Cluster.ClusterJson.Default.V1MutatingWebhookConfiguration))!.AsObject();
        api.PutWebhookConfiguration(deployed);
        // Someone else's webhook: not an injector's, so not reported.
        api.PutWebhookConfiguration(new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["kind"] = "MutatingWebhookConfiguration",
            ["metadata"] = new JsonObject { ["name"] = "policy-agent" },
            ["webhooks"] = new JsonArray(new JsonObject { ["name"] = "policy.example.com" }),
        });
        api.PutNamespace(Namespace("shop", "sidecar-injection=enabled"));
        api.PutNamespace(Namespace("plain"));
        api.PutNamespaced(Pod("shop", "web-1"));
        api.PutNamespaced(Pod("shop", "batch-1", "sidecar.istio.io/inject=false"));
        api.PutNamespaced(Pod("plain", "web-2"));
        return (api, api.WriteKubeconfig(Path.Combine(Path.GetTempPath(), "sidecar-injector-tests", Guid.NewGuid().ToString("N"))));
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(string kubeconfig, string stdin, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = await CheckInjectCommand.RunAsync([.. args, "--kubeconfig", kubeconfig], new StringReader(stdin), stdout, stderr, _ => null);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static JsonElement Answer(string output) => JsonDocument.Parse(output).RootElement;

    [Fact]
    public async Task Live_pods_are_answered_for_each_reason()
    {
        var (api, kubeconfig) = await ClusterAsync();
        await using var running = api;

        var (code, output, error) = await RunAsync(kubeconfig, "", "-n", "shop", "web-1", "-o", "json");
        Assert.True(code == 0, error);
        var injected = Answer(output);
        Assert.True(injected.GetProperty("injected").GetBoolean());
        Assert.Equal("webhook sidecar-injector.sidecar-injector.svc sends it to the injector, which injects it: policy enabled",
            injected.GetProperty("reason").GetString());
        Assert.Single(injected.GetProperty("webhooks").EnumerateArray());
        // deploy/'s ConfigMap is not in this cluster: said so, and the embedded default decides.
        Assert.Equal("the embedded default", injected.GetProperty("config").GetString());
        Assert.Contains(injected.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith("no ConfigMap sidecar-injector/sidecar-injector", StringComparison.Ordinal));

        (_, output, _) = await RunAsync(kubeconfig, "", "-n", "shop", "batch-1", "-o", "json");
        Assert.False(Answer(output).GetProperty("injected").GetBoolean());
        Assert.Contains("has sidecar.istio.io/inject=false", Answer(output).GetProperty("reason").GetString());

        (_, output, _) = await RunAsync(kubeconfig, "", "-n", "plain", "web-2", "-o", "json");
        Assert.False(Answer(output).GetProperty("injected").GetBoolean());
        Assert.Contains("needs sidecar-injection=enabled, has no sidecar-injection label", Answer(output).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task The_injectors_ConfigMap_in_the_cluster_decides()
    {
        var (api, kubeconfig) = await ClusterAsync();
        await using var running = api;
        api.PutNamespaced(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "sidecar-injector", ["namespace"] = "sidecar-injector" },
            ["data"] = new JsonObject
            {
                ["config"] = "policy: disabled\ntemplates:\n  sidecar: |\n    spec:\n      containers:\n      - name: proxy\n        image: proxy\n",
                ["values"] = "{}",
            },
        });
        var (code, output, error) = await RunAsync(kubeconfig, "", "-n", "shop", "web-1", "-o", "json");
        Assert.True(code == 0, error);
        Assert.Equal("ConfigMap sidecar-injector/sidecar-injector", Answer(output).GetProperty("config").GetString());
        Assert.False(Answer(output).GetProperty("injected").GetBoolean());
        Assert.EndsWith("which leaves it alone: policy disabled", Answer(output).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_manifest_is_answered_with_its_namespace_from_the_cluster()
    {
        var (api, kubeconfig) = await ClusterAsync();
        await using var running = api;
        const string manifest = SampleManifests.WebDeployment;
        var (code, output, error) = await RunAsync(kubeconfig, manifest, "-f", "-");
        Assert.True(code == 0, error);
        Assert.StartsWith("Deployment web in namespace shop: INJECTED", output);

        (_, output, _) = await RunAsync(kubeconfig, manifest, "-f", "-", "-n", "nowhere", "-o", "json");
        Assert.False(Answer(output).GetProperty("injected").GetBoolean());
        Assert.Contains(Answer(output).GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith("namespace nowhere does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_pod_missing_RBAC_or_an_unreachable_cluster_is_a_clear_error()
    {
        var (api, kubeconfig) = await ClusterAsync();
        await using var running = api;

        var (code, _, error) = await RunAsync(kubeconfig, "", "-n", "shop", "ghost");
        Assert.Equal((1, "sidecar-injector check-inject: pod shop/ghost not found"), (code, error.Trim()));

        api.Forbidden.Add("list mutatingwebhookconfigurations");
        (code, _, error) = await RunAsync(kubeconfig, "", "-n", "shop", "web-1");
        Assert.Equal(1, code);
        Assert.Contains("403 Forbidden", error);
        Assert.Contains("cannot list resource \"mutatingwebhookconfigurations\"", error);

        api.Forbidden.Clear();
        api.SetDown(true);
        (code, _, error) = await RunAsync(kubeconfig, "", "-n", "shop", "web-1");
        Assert.Equal(1, code);
        Assert.StartsWith("sidecar-injector check-inject: ", error);
    }

    [Theory]
    [InlineData(new string[0], "give a POD name or -f FILE")]
    [InlineData(new[] { "web", "-f", "x.yaml" }, "give a POD name or -f FILE")]
    [InlineData(new[] { "web", "--config-map", "nope" }, "give NAMESPACE/NAME")]
    [InlineData(new[] { "web", "--config-map", "a/b", "--config-dir", "/tmp" }, "at most one of")]
    public async Task Usage_mistakes_are_named(string[] args, string message)
    {
        using var stderr = new StringWriter();
        Assert.Equal(2, await CheckInjectCommand.RunAsync(args, TextReader.Null, TextWriter.Null, stderr, _ => null));
        Assert.Contains(message, stderr.ToString());
    }

    [Fact]
    public async Task Without_a_cluster_it_says_how_to_give_one()
    {
        using var stderr = new StringWriter();
        Assert.Equal(1, await CheckInjectCommand.RunAsync(["web"], TextReader.Null, TextWriter.Null, stderr, _ => null));
        Assert.Contains("no cluster: give --kubeconfig FILE", stderr.ToString());
    }
}
