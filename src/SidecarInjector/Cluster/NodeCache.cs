using Microsoft.Extensions.Logging;
using SidecarInjector.Render;

namespace SidecarInjector.Cluster;

/// <summary>
/// Every Node's kubelet version, kept by a list and watch, for ENABLE_NATIVE_SIDECARS=auto: the
/// injector gives pods native sidecars where the nodes can run them (<see cref="NativeSidecarNodes"/>),
/// as Istio's webhook does from its node informer. A lookup never waits on the apiserver: before the
/// first list it is null, and injection uses the setting's offline meaning. A new
/// <see cref="Current"/> is made only when a node's answer changes (a kubelet upgraded, a node added
/// or removed), not for every status update, so answers kept for a pod's siblings stay valid.
/// </summary>
internal sealed partial class NodeCache(ApiClient api, ILogger logger)
{
    private readonly Dictionary<string, string?> _versions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private volatile NativeSidecarNodes? _current;

    private long _changesSeen;

    /// <summary>The nodes as last listed and watched, or null before the first list.</summary>
    public NativeSidecarNodes? Current => _current;

    /// <summary>Lists and watch events applied so far (most change no node's answer, and keep <see cref="Current"/>).</summary>
    public long ChangesSeen => Interlocked.Read(ref _changesSeen);

    public Task RunAsync(CancellationToken cancel) =>
        new ListWatch<NodeKubelet>(api, "/api/v1/nodes", null, ClusterJson.Default.NodeKubelet, Replace, Apply, logger).RunAsync(cancel);

    private void Replace(IReadOnlyList<NodeKubelet> all)
    {
        lock (_lock)
        {
            _versions.Clear();
            foreach (var node in all)
            {
                if (node.Metadata?.Name is { } name)
                {
                    _versions[name] = node.KubeletVersion;
                }
            }
            Publish();
        }
    }

    private void Apply(WatchEvent change, NodeKubelet node)
    {
        if (node.Metadata?.Name is not { } name)
        {
            return;
        }
        lock (_lock)
        {
            if (change == WatchEvent.Deleted)
            {
                _versions.Remove(name);
            }
            else
            {
                _versions[name] = node.KubeletVersion;
            }
            Publish();
        }
    }

    private void Publish()
    {
        Interlocked.Increment(ref _changesSeen);
        var next = NativeSidecarNodes.Of(_versions);
        var previous = _current;
        if (next.SameAs(previous))
        {
            return;
        }
        _current = next;
        if (previous is null || previous.FirstUnable is null != (next.FirstUnable is null))
        {
            if (next.FirstUnable is { } unable)
            {
                LogNativeOff(logger, next.Count, unable, _versions[unable] ?? "none", NativeSidecarNodes.MinimumMinor);
            }
            else
            {
                LogNativeOn(logger, next.Count, NativeSidecarNodes.MinimumMinor);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "native sidecars (ENABLE_NATIVE_SIDECARS=auto): on, every one of {Nodes} nodes runs kubelet 1.{Minimum} or later")]
    private static partial void LogNativeOn(ILogger logger, int nodes, int minimum);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "native sidecars (ENABLE_NATIVE_SIDECARS=auto): off for pods not bound to a node, of {Nodes} nodes {Node} runs kubelet {Version}, not 1.{Minimum} or later")]
    private static partial void LogNativeOff(ILogger logger, int nodes, string node, string version, int minimum);
}
