namespace SidecarInjector.CommandLine;

/// <summary>Everything `serve` can be told, from flags or their environment variables.</summary>
internal sealed record ServeOptions
{
    public const string DefaultCertFile = "/etc/sidecar-injector/certs/tls.crt";
    public const string DefaultKeyFile = "/etc/sidecar-injector/certs/tls.key";
    public const string DefaultConfigDir = "/etc/sidecar-injector/config";

    public int Port { get; init; } = 9443;
    public int AdminPort { get; init; } = 8080;
    public string ListenAddress { get; init; } = "";
    public string TlsCertFile { get; init; } = DefaultCertFile;
    public string TlsKeyFile { get; init; } = DefaultKeyFile;
    /// <summary>Null (and no <see cref="ConfigFile"/>) means the embedded default config (only with --dev).</summary>
    public string? ConfigDir { get; init; } = DefaultConfigDir;
    /// <summary>A ConfigMap manifest instead of a mounted folder (--config-file).</summary>
    public string? ConfigFile { get; init; }

    public Configuration.ConfigSource ConfigSource => new(ConfigDir, ConfigFile);
    public bool Dev { get; init; }
    public bool EnableHttp2 { get; init; }
    /// <summary>
    /// Room for the largest pod Kubernetes can store: etcd refuses objects over 1.5 MiB (kept as
    /// protobuf; the same pod as JSON in a review is up to ~1.3 times that). A review costs ~12 times
    /// its size while answered, so this is also what keeps one review inside the pod's memory: at
    /// 3 MiB (the apiserver's own body limit) one review beside a connection flood ran the 64 MiB
    /// heap out (perf/hostile.py).
    /// </summary>
    public const long DefaultMaxRequestBytes = 2 * 1024 * 1024;

    public long MaxRequestBytes { get; init; } = DefaultMaxRequestBytes;
    /// <summary>Open connections on the webhook port at most (the admin port is not counted, so probes still answer).</summary>
    public int MaxConnections { get; init; } = 512;
    /// <summary>
    /// Review bodies in flight at most (bytes); past it reviews get HTTP 429 at once. Null: sized
    /// from the heap limit the GC sees (see <c>RequestBodyBudget.DefaultFor</c>).
    /// </summary>
    public long? MaxInflightBytes { get; init; }
    /// <summary>How often liveness sends a request through the webhook listener itself.</summary>
    public TimeSpan SelfCheckInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Reviews in progress with none finishing this long: the serving path is wedged, liveness fails.</summary>
    public TimeSpan WedgedAfter { get; init; } = TimeSpan.FromSeconds(60);
    public string Revision { get; init; } = "default";
    /// <summary>Null: in-cluster when KUBERNETES_SERVICE_HOST is set, else no cluster features.</summary>
    public string? Kubeconfig { get; init; }
    /// <summary>The MutatingWebhookConfiguration whose caBundle is kept equal to <see cref="CaFileOrDefault"/>; null: not kept.</summary>
    public string? WebhookConfigName { get; init; }
    public string? CaFile { get; init; }

    /// <summary>--ca-file, else ca.crt beside the serving certificate (as cert-manager and make-certs.sh write it).</summary>
    public string CaFileOrDefault => CaFile ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(TlsCertFile)) ?? "/", "ca.crt");
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(25);
    /// <summary>After SIGTERM, keep serving (not ready) this long so endpoints drop the pod first.</summary>
    public TimeSpan ShutdownDelay { get; init; } = TimeSpan.FromSeconds(5);
    public string LogLevel { get; init; } = "Information";
    /// <summary>--log-format json: one JSON object per line, for Loki, Elasticsearch and the like.</summary>
    public bool JsonLogs { get; init; }
    /// <summary>Also serve POST /noop on the webhook port: same TLS, same body read, a constant answer. For benchmarks.</summary>
    public bool NoopEndpoint { get; init; }
}
