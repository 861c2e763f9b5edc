using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace SidecarInjector.Cluster;

/// <summary>
/// Every Namespace of the cluster, kept by a list and watch: what injection reads of a pod's
/// namespace (OpenShift's <c>openshift.io/sa.scc.uid-range</c>) and what check-inject reads (its
/// labels). A lookup never waits on the apiserver: before the first list, or for a namespace not
/// seen yet, it answers null.
/// </summary>
internal sealed class NamespaceCache(ApiClient api, ILogger logger)
{
    private volatile ConcurrentDictionary<string, JsonObject> _namespaces = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the first list.</summary>
    public Task Synced => _synced.Task;

    /// <summary>The Namespace object as the apiserver has it (JSON), or null.</summary>
    public JsonObject? Find(string name) => _namespaces.GetValueOrDefault(name);

    public Task RunAsync(CancellationToken cancel) =>
        new ListWatch<V1Namespace>(api, "/api/v1/namespaces", null, ClusterJson.Default.V1Namespace, Replace, Apply, logger).RunAsync(cancel);

    private void Replace(IReadOnlyList<V1Namespace> all)
    {
        var fresh = new ConcurrentDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var ns in all)
        {
            if (ns.Metadata?.Name is { } name)
            {
                fresh[name] = ToJson(ns);
            }
        }
        _namespaces = fresh;
        _synced.TrySetResult();
    }

    private void Apply(WatchEvent change, V1Namespace ns)
    {
        if (ns.Metadata?.Name is not { } name)
        {
            return;
        }
        if (change == WatchEvent.Deleted)
        {
            _namespaces.TryRemove(name, out _);
        }
        else
        {
            _namespaces[name] = ToJson(ns);
        }
    }

    /// <summary>Shared by every review on every thread: built in full now, read only later.</summary>
    private static JsonObject ToJson(V1Namespace ns)
    {
        var json = JsonSerializer.SerializeToNode(ns, ClusterJson.Default.V1Namespace)!.AsObject();
        Json.JsonTrees.BuildAll(json);
        return json;
    }
}
