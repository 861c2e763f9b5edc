using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SidecarInjector.Answer;
using SidecarInjector.Cluster;
using SidecarInjector.Configuration;
using SidecarInjector.Hosting;
using SidecarInjector.Json;
using SidecarInjector.KubernetesGo;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Cluster;

/// <summary>
/// ENABLE_NATIVE_SIDECARS=auto with the cluster's API: the nodes' kubelet versions, listed and kept by
/// the watch of the stand-in apiserver, decide whether Istio's own (current) template makes the proxy
/// a native sidecar, for fresh pods and for those the memo answers alike.
/// </summary>
public sealed class NodeCacheTests
{
    private static JsonObject Node(string name, string kubeletVersion) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = name } },
        ["status"] = new JsonObject
        {
            ["nodeInfo"] = new JsonObject { ["kubeletVersion"] = kubeletVersion, ["osImage"] = "Ubuntu 24.04" },
            ["images"] = new JsonArray(new JsonObject { ["names"] = new JsonArray("docker.io/istio/proxyv2:1.28.0"), ["sizeBytes"] = 94000000 }),
        },
    };

    /// <summary>Istio's default injection template of today (the head corpus), with ENABLE_NATIVE_SIDECARS unset ("auto") or as given.</summary>
    private static ConfigSnapshot IstioToday(string? nativeSidecars = null)
    {
        string Input(string kind) => File.ReadAllText(Path.Combine(Paths.IstioHeadTestdata, "inputs", $"default.{kind}.gen.yaml"));
        var meshDefaults = (JsonObject)YamlDocument.Parse(File.ReadAllText(Path.Combine(Paths.IstioHeadTestdata, "mesh-defaults.yaml")), "mesh-defaults.yaml")!;
        var files = new ConfigLoader.ConfigFiles("istio", Encoding.UTF8.GetBytes(Input("template")), Encoding.UTF8.GetBytes(Input("values")),
            Encoding.UTF8.GetBytes(Input("mesh")));
        return ConfigLoader.Load(files, name => name == "ENABLE_NATIVE_SIDECARS" ? nativeSidecars : null, meshDefaults);
    }

    /// <summary>A node cache listing and watching <paramref name="api"/>'s nodes, logging to <paramref name="log"/>.</summary>
    private static (NodeCache Cache, ApiClient Client) StartCache(StandInApiServer api, StringWriter log, CancellationToken stop)
    {
        var client = ApiClient.Connect(api.WriteKubeconfig(Path.Combine(Path.GetTempPath(), "sidecar-injector-tests", Guid.NewGuid().ToString("N"))))!;
        var cache = new NodeCache(client, ConsoleLog.CreateFactory(LogLevel.Information, TextWriter.Synchronized(log)).CreateLogger("test"));
        _ = cache.RunAsync(stop);
        return (cache, client);
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(20);
        }
    }

    /// <summary>Where the patched pod has its proxy: "initContainers" (native sidecar) or "containers".</summary>
    private static string ProxyList(AdmissionHandler handler, JsonObject pod)
    {
        using var output = new PooledBufferWriter();
        handler.Handle(Encoding.UTF8.GetBytes(Reviews.Review(pod, ns: "shop")), "/inject", output);
        var answer = Reviews.Parse(Reviews.Utf8(output.WrittenSpan));
        Assert.True(answer.Allowed, answer.Message);
        var patched = Reviews.Patched(pod, answer);
        foreach (var list in (ReadOnlySpan<string>)["initContainers", "containers"])
        {
            foreach (var container in patched["spec"]![list] as JsonArray ?? [])
            {
                if (container!["name"]!.GetValue<string>() == "istio-proxy")
                {
                    return list;
                }
            }
        }
        return "none";
    }

    [Fact]
    public async Task The_nodes_decide_native_sidecars_and_a_change_reaches_remembered_answers_too()
    {
        await using var api = await StandInApiServer.StartAsync();
        api.PutNode(Node("node-a", "v1.34.2"));
        api.PutNode(Node("node-b", "v1.33.1-eks-4f4795d"));
        using var log = new StringWriter();
        using var stop = new CancellationTokenSource();
        var (cache, client) = StartCache(api, log, stop.Token);
        using var connected = client;
        var config = IstioToday();
        var handler = new AdmissionHandler(() => config, "default", nodes: () => cache.Current);
        var pod = Reviews.SamplePod();
        pod["metadata"]!["namespace"] = "shop";

        await Eventually(() => cache.Current is not null, "the nodes are listed");
        // The same pod three times: its first answer, its second (remembered for its siblings), its third from the memo.
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("initContainers", ProxyList(handler, pod));
        }
        Assert.True(handler.MemoHits > 0);

        // A node of 1.32 joins: pods the scheduler may send there get the proxy as a plain container.
        var listed = cache.Current;
        api.PutNode(Node("node-old", "v1.32.9"));
        await Eventually(() => !ReferenceEquals(cache.Current, listed), "the new node is seen");
        Assert.Equal("containers", ProxyList(handler, pod));
        Assert.Contains("off for pods not bound to a node, of 3 nodes node-old runs kubelet v1.32.9", log.ToString());

        // A pod already bound to a node gets that node's answer.
        var bound = pod.DeepClone().AsObject();
        bound["spec"]!["nodeName"] = "node-a";
        Assert.Equal("initContainers", ProxyList(handler, bound));
        bound["spec"]!["nodeName"] = "node-old";
        Assert.Equal("containers", ProxyList(handler, bound));

        // A status update that changes no answer keeps the view, and the memo's answers with it.
        var current = cache.Current;
        long seen = cache.ChangesSeen;
        long hits = handler.MemoHits;
        var heartbeat = Node("node-a", "v1.34.2");
        heartbeat["status"]!["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" });
        api.PutNode(heartbeat);
        await Eventually(() => cache.ChangesSeen > seen, "the heartbeat is seen");
        Assert.Same(current, cache.Current);
        Assert.Equal("containers", ProxyList(handler, pod));
        Assert.Equal(hits + 1, handler.MemoHits);

        // The old node leaves (upgraded away): native sidecars again, for the same pod the memo answered before.
        api.DeleteNode("node-old");
        await Eventually(() => cache.Current!.FirstUnable is null, "the old node's deletion is seen");
        Assert.Equal("initContainers", ProxyList(handler, pod));
        Assert.Contains("native sidecars (ENABLE_NATIVE_SIDECARS=auto): on, every one of 2 nodes runs kubelet 1.33 or later", log.ToString());
        stop.Cancel();
    }

    [Fact]
    public async Task Before_the_first_list_or_without_permission_auto_means_on_and_the_reason_is_logged()
    {
        await using var api = await StandInApiServer.StartAsync();
        api.PutNode(Node("node-old", "v1.30.0"));
        api.Forbidden.Add("list nodes");
        using var log = new StringWriter();
        using var stop = new CancellationTokenSource();
        var (cache, client) = StartCache(api, log, stop.Token);
        using var connected = client;
        var config = IstioToday();
        var handler = new AdmissionHandler(() => config, "default", nodes: () => cache.Current);
        var pod = Reviews.SamplePod();

        await Eventually(() => log.ToString().Contains("RBAC", StringComparison.Ordinal), "the refusal is logged");
        Assert.Null(cache.Current);
        Assert.Equal("initContainers", ProxyList(handler, pod));

        api.Forbidden.Clear();
        await Eventually(() => cache.Current is not null, "listed once permitted");
        Assert.Equal("containers", ProxyList(handler, pod));
        stop.Cancel();
    }

    [Fact]
    public void A_setting_other_than_auto_is_not_changed_by_the_nodes()
    {
        var nodes = SidecarInjector.Render.NativeSidecarNodes.Of([KeyValuePair.Create("old", (string?)"v1.30.0")]);
        foreach (var (value, expected) in new[] { ("true", "initContainers"), ("false", "containers") })
        {
            var config = IstioToday(value);
            var handler = new AdmissionHandler(() => config, "default", nodes: () => nodes);
            Assert.Equal(expected, ProxyList(handler, Reviews.SamplePod()));
        }
    }
}
