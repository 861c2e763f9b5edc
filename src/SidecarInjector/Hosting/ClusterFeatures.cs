using Microsoft.Extensions.Logging;
using SidecarInjector.Cluster;
using SidecarInjector.CommandLine;
using SidecarInjector.Render;
using SidecarInjector.Watching;

namespace SidecarInjector.Hosting;

/// <summary>
/// What `serve` does with the cluster's API when it has one (--kubeconfig, or in-cluster): the
/// namespace cache injection reads, the nodes' kubelet versions (ENABLE_NATIVE_SIDECARS=auto, the
/// default), and the caBundle kept current (--webhook-config-name). Each runs
/// in the background; the serving path never waits on the API. Without a cluster, none of it runs
/// and the injector behaves as it does offline.
/// </summary>
internal sealed partial class ClusterFeatures : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _starting;
    private ApiClient? _api;
    private CaBundleSync? _caBundle;
    private MountWatcher? _caWatcher;
    private volatile NamespaceCache? _namespaces;
    private volatile NodeCache? _nodes;

    /// <summary>
    /// The Namespace object of a name, for injection (null until the first list, and for a namespace
    /// not seen); null itself when the injector has no cluster.
    /// </summary>
    public Func<string, System.Text.Json.Nodes.JsonObject?>? NamespaceLookup { get; }

    /// <summary>
    /// The nodes, for ENABLE_NATIVE_SIDECARS=auto (null until the first list); null itself without a
    /// cluster, or when the setting is not auto (the nodes are then not watched, as in Istio).
    /// </summary>
    public Func<NativeSidecarNodes?>? NodeLookup { get; }

    private ClusterFeatures(ServeOptions options, ILoggerFactory loggers, Func<string, string?> environment)
    {
        var log = loggers.CreateLogger("SidecarInjector.Cluster");
        if (!ApiClient.IsConfigured(options.Kubeconfig))
        {
            // No cluster: nothing starts (not even a thread-pool task beside the server's own start).
            if (options.WebhookConfigName is not null)
            {
                LogCaBundleOff(log, options.WebhookConfigName);
            }
            _starting = Task.CompletedTask;
            return;
        }
        NamespaceLookup = name => _namespaces?.Find(name);
        bool watchNodes = NativeSidecarSetting.Mode(environment) == NativeSidecarMode.Auto;
        if (watchNodes)
        {
            NodeLookup = () => _nodes?.Current;
        }
        // Reading a kubeconfig and its certificates takes milliseconds that readiness need not wait for.
        _starting = Task.Run(() => Connect(options, log, watchNodes));
    }

    private void Connect(ServeOptions options, ILogger log, bool watchNodes)
    {
        try
        {
            _api = ApiClient.Connect(options.Kubeconfig);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or UnauthorizedAccessException or FormatException
            or System.Security.Cryptography.CryptographicException or UriFormatException)
        {
            LogNoClient(log, e.Message);
            return;
        }
        if (_api is null)
        {
            if (options.WebhookConfigName is not null)
            {
                LogCaBundleOff(log, options.WebhookConfigName);
            }
            return;
        }
        LogConnected(log, _api.Source, watchNodes ? " and nodes" : "");
        var namespaces = new NamespaceCache(_api, log);
        _ = namespaces.RunAsync(_stop.Token);
        _namespaces = namespaces;
        if (watchNodes)
        {
            var nodes = new NodeCache(_api, log);
            _ = nodes.RunAsync(_stop.Token);
            _nodes = nodes;
        }
        if (options.WebhookConfigName is { } name)
        {
            var caFile = options.CaFileOrDefault;
            _caBundle = new CaBundleSync(_api, name, caFile, log);
            _ = _caBundle.RunAsync(_stop.Token);
            _caWatcher = new MountWatcher(Path.GetDirectoryName(Path.GetFullPath(caFile)) ?? "/", _caBundle.CaFileChanged,
                TimeSpan.FromMilliseconds(100), options.PollInterval);
        }
    }

    public static ClusterFeatures Start(ServeOptions options, ILoggerFactory loggers, Func<string, string?> environment) =>
        new(options, loggers, environment);

    public void Dispose()
    {
        _stop.Cancel();
        _starting.Wait(TimeSpan.FromSeconds(5));
        _caWatcher?.Dispose();
        _caBundle?.Dispose();
        _api?.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "cluster API from the {Source}: watching namespaces{AndNodes}")]
    private static partial void LogConnected(ILogger logger, string source, string andNodes);

    [LoggerMessage(Level = LogLevel.Error, Message = "cannot use the cluster's API: {Reason}; cluster features are off (namespaces, nodes, caBundle)")]
    private static partial void LogNoClient(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "--webhook-config-name {Name} needs the cluster's API (--kubeconfig, or running in a cluster); its caBundle is not kept")]
    private static partial void LogCaBundleOff(ILogger logger, string name);
}
