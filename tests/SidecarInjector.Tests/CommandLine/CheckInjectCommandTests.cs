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
    [InlineData(new string[0], "give one of [TYPE/]NAME, -f FILE and -l KEY=VALUE,...")]
    [InlineData(new[] { "web", "-f", "x.yaml" }, "give one of [TYPE/]NAME, -f FILE and -l KEY=VALUE,...")]
    [InlineData(new[] { "web", "-l", "app=web" }, "give one of [TYPE/]NAME, -f FILE and -l KEY=VALUE,...")]
    [InlineData(new[] { "-l", "app" }, "-l app: 'app' is not key=value")]
    [InlineData(new[] { "service/web" }, "'service' is not a kind of pod or workload (give one of pod, deployment, statefulset")]
    [InlineData(new[] { "deployment/" }, "'deployment/': give NAME or TYPE/NAME")]
    [InlineData(new[] { "deployment/web/x" }, "give NAME or TYPE/NAME")]
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

    /// <summary>A workload as the API returns it: its pod template labelled <paramref name="templateLabels"/>.</summary>
    private static JsonObject Workload(string apiVersion, string kind, string ns, string name, string templateLabels)
    {
        var template = new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = Labels(templateLabels) },
            ["spec"] = Reviews.SamplePod()["spec"]!.DeepClone(),
        };
        var spec = kind == "CronJob"
            ? new JsonObject { ["schedule"] = "@hourly", ["jobTemplate"] = new JsonObject { ["spec"] = new JsonObject { ["template"] = template } } }
            : new JsonObject { ["selector"] = new JsonObject { ["matchLabels"] = Labels(templateLabels) }, ["template"] = template };
        return new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = kind,
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["spec"] = spec,
        };
    }

    [Fact]
    public async Task A_workload_of_the_cluster_is_answered_for_the_pod_its_template_makes()
    {
        var (api, kubeconfig) = await ClusterAsync();
        await using var running = api;
        api.PutNamespaced(Workload("apps/v1", "Deployment", "shop", "web", "app=web"));
        api.PutNamespaced(Workload("apps/v1", "StatefulSet", "shop", "db", "app=db,sidecar.istio.io/inject=false"));
        api.PutNamespaced(Workload("batch/v1", "CronJob", "shop", "report", "app=report"));
        // Same name, another kind: the type chooses.
        api.PutNamespaced(Workload("batch/v1", "Job", "shop", "web", "app=web,sidecar.istio.io/inject=false"));

        foreach (var reference in new[] { "deployment/web", "deploy/web", "Deployment.apps/web", "deployments/web" })
        {
            var (code, output, error) = await RunAsync(kubeconfig, "", "-n", "shop", reference, "-o", "json");
            Assert.True(code == 0, reference + ": " + error);
            Assert.True(Answer(output).GetProperty("injected").GetBoolean(), reference);
            Assert.Equal("Deployment web", Answer(output).GetProperty("pod").GetString());
        }

        var (_, text, _) = await RunAsync(kubeconfig, "", "-n", "shop", "sts/db");
        Assert.StartsWith("StatefulSet db in namespace shop: NOT INJECTED", text);
        Assert.Contains("has sidecar.istio.io/inject=false", text);

        var (_, job, _) = await RunAsync(kubeconfig, "", "-n", "shop", "job/web", "-o", "json");
        Assert.False(Answer(job).GetProperty("injected").GetBoolean());

        var (_, cron, _) = await RunAsync(kubeconfig, "", "-n", "shop", "cronjob/report", "-o", "json");
        Assert.True(Answer(cron).GetProperty("injected").GetBoolean());
        Assert.Equal("CronJob report", Answer(cron).GetProperty("pod").GetString());

        // In a namespace the webhook does not select, the workload's pods are not sent to it.
        api.PutNamespaced(Workload("apps/v1", "Deployment", "plain", "web", "app=web"));
        var (_, plain, _) = await RunAsync(kubeconfig, "", "-n", "plain", "deployment/web", "-o", "json");
        Assert.False(Answer(plain).GetProperty("injected").GetBoolean());

        var (missing, _, missingError) = await RunAsync(kubeconfig, "", "-n", "shop", "daemonset/web");
        Assert.Equal((1, "sidecar-injector check-inject: DaemonSet shop/web not found"), (missing, missingError.Trim()));
    }

    [Fact]
    public async Task Labels_alone_are_answered_for_a_pod_with_those_labels_and_say_what_else_may_matter()
    {
        var (api, kubeconfig) = await ClusterAsync();
        await using var running = api;

        var (code, output, error) = await RunAsync(kubeconfig, "", "-n", "shop", "-l", "app=web,version=v1", "-o", "json");
        Assert.True(code == 0, error);
        var answer = Answer(output);
        Assert.True(answer.GetProperty("injected").GetBoolean());
        Assert.Equal("a pod labelled app=web,version=v1", answer.GetProperty("pod").GetString());
        Assert.Contains(answer.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith("only the pod's labels were given", StringComparison.Ordinal));

        (_, output, _) = await RunAsync(kubeconfig, "", "-n", "shop", "-l", "app=web,sidecar.istio.io/inject=false", "-o", "json");
        Assert.False(Answer(output).GetProperty("injected").GetBoolean());
        Assert.Contains("has sidecar.istio.io/inject=false", Answer(output).GetProperty("reason").GetString());

        (_, output, _) = await RunAsync(kubeconfig, "", "-n", "plain", "-l", "app=web", "-o", "json");
        Assert.False(Answer(output).GetProperty("injected").GetBoolean());
        Assert.Contains("needs sidecar-injection=enabled", Answer(output).GetProperty("reason").GetString());
    }
}
