using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SidecarInjector.Cluster;
using SidecarInjector.Hosting;
using SidecarInjector.Tests.Conformance;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Cluster;

/// <summary>
/// The namespace cache against the stand-in apiserver: listed, kept by the watch, and read by the
/// webhook on OpenShift (Istio's two OpenShift webhook cases pass through it).
/// </summary>
public sealed class NamespaceCacheTests
{
    private static JsonObject Namespace(string name, string? uidRange = null)
    {
        var metadata = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kubernetes.io/metadata.name"] = name } };
        if (uidRange is not null)
        {
            metadata["annotations"] = new JsonObject { ["openshift.io/sa.scc.uid-range"] = uidRange };
        }
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = metadata };
    }

    private static async Task<(NamespaceCache Cache, CancellationTokenSource Stop, ApiClient Api)> StartAsync(StandInApiServer api, TextWriter? log = null)
    {
        var client = ApiClient.Connect(api.WriteKubeconfig(Path.Combine(Path.GetTempPath(), "sidecar-injector-tests", Guid.NewGuid().ToString("N"))))!;
        var logger = ConsoleLog.CreateFactory(LogLevel.Information, log ?? TextWriter.Null).CreateLogger("test");
        var cache = new NamespaceCache(client, logger);
        var stop = new CancellationTokenSource();
        _ = cache.RunAsync(stop.Token);
        return (cache, stop, client);
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Namespaces_are_listed_then_kept_current_by_the_watch()
    {
        await using var api = await StandInApiServer.StartAsync();
        api.PutNamespace(Namespace("shop"));
        var (cache, stop, client) = await StartAsync(api);
        using (stop)
        using (client)
        {
            await cache.Synced.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.NotNull(cache.Find("shop"));
            Assert.Null(cache.Find("later"));

            api.PutNamespace(Namespace("later", "1000620000/10000"));
            await Eventually(() => cache.Find("later") is not null, "a namespace created after the list is seen");
            Assert.Equal("1000620000/10000", cache.Find("later")!["metadata"]!["annotations"]!["openshift.io/sa.scc.uid-range"]!.GetValue<string>());

            api.Compact();
            api.PutNamespace(Namespace("shop", "2000/10"));
            await Eventually(() => cache.Find("shop")?["metadata"]?["annotations"] is not null, "a change after compaction is seen (410, list again)");
            stop.Cancel();
        }
    }

    [Fact]
    public async Task Without_permission_to_list_lookups_answer_nothing_and_the_reason_is_logged()
    {
        await using var api = await StandInApiServer.StartAsync();
        api.PutNamespace(Namespace("shop"));
        api.Forbidden.Add("list namespaces");
        using var log = new StringWriter();
        var (cache, stop, client) = await StartAsync(api, TextWriter.Synchronized(log));
        using (stop)
        using (client)
        {
            await Eventually(() => log.ToString().Contains("RBAC", StringComparison.Ordinal), "the refusal is logged");
            Assert.Null(cache.Find("shop"));
            api.Forbidden.Clear();
            await Eventually(() => cache.Find("shop") is not null, "listed once permitted");
            stop.Cancel();
        }
    }

    public static TheoryData<string, int> OpenShiftCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var corpus in new[] { IstioCorpus.December, IstioCorpus.Head })
        {
            foreach (var c in corpus.Cases())
            {
                if (c!["namespaceObject"] is JsonObject && !c["skipWebhook"]!.GetValue<bool>() && c["expectedError"] is null)
                {
                    data.Add(corpus.Name, c["index"]!.GetValue<int>());
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(OpenShiftCases))]
    public async Task Istios_openshift_webhook_cases_pass_with_the_namespace_from_the_cluster(string corpusName, int index)
    {
        var corpus = IstioCorpus.Named(corpusName);
        var c = corpus.Case(index);
        await using var api = await StandInApiServer.StartAsync();
        api.PutNamespace(c["namespaceObject"]!.AsObject());
        var (cache, stop, client) = await StartAsync(api);
        using (stop)
        using (client)
        {
            await cache.Synced.WaitAsync(TimeSpan.FromSeconds(5));
            var (total, passed, reason) = IstioConformanceTests.RunWebhook(corpus, c, cache.Find);
            Assert.True(total > 0 && passed == total, $"{passed}/{total}: {reason}");
            stop.Cancel();
        }
    }
}
