using System.Globalization;

namespace SidecarInjector.CommandLine;

/// <summary>What the command line asked for.</summary>
internal abstract record Command
{
    public sealed record Serve(ServeOptions Options) : Command;
    public sealed record SampleReview(bool V1Beta1) : Command;
    public sealed record Inject(string[] Args) : Command;
    public sealed record CheckConfig(string[] Args) : Command;
    public sealed record WebhookConfig(string[] Args) : Command;
    public sealed record CheckInject(string[] Args) : Command;
    public sealed record Explain(string[] Args) : Command;
    public sealed record Help : Command;
    public sealed record Version : Command;
    public sealed record Invalid(string Message) : Command;
}

/// <summary>
/// Parses <c>sidecar-injector [serve] [flags]</c>. Each flag also reads an environment variable
/// (SIDECAR_INJECTOR_ + the flag in upper snake case); a flag given on the command line wins.
/// </summary>
internal static class CommandLineParser
{
    public const string EnvPrefix = "SIDECAR_INJECTOR_";

    /// <summary>Flags of `serve`: name, value placeholder (null for a switch), description.</summary>
    public static readonly (string Flag, string? Value, string Help)[] ServeFlags =
    [
        ("--port", "PORT", "HTTPS port of the webhook (default 9443)"),
        ("--admin-port", "PORT", "plain-HTTP port of /healthz, /readyz and /metrics (default 8080)"),
        ("--listen-address", "IP", "address to bind both ports to (default: all addresses)"),
        ("--tls-cert-file", "FILE", "PEM certificate chain, reloaded on change (default " + ServeOptions.DefaultCertFile + ")"),
        ("--tls-key-file", "FILE", "PEM private key, reloaded on change (default " + ServeOptions.DefaultKeyFile + ")"),
        ("--config-dir", "DIR", "mounted ConfigMap with files 'config' and 'values', reloaded on change (default " + ServeOptions.DefaultConfigDir + ")"),
        ("--config-file", "FILE", "instead of --config-dir: a ConfigMap manifest (kubectl get cm istio-sidecar-injector -o yaml; Istio's mesh ConfigMap may follow), reloaded on change"),
        ("--dev", null, "embedded default config and a generated self-signed localhost certificate"),
        ("--enable-http2", null, "offer HTTP/2 on the webhook port (off: the apiserver speaks HTTP/1.1, and see CVE-2023-44487)"),
        ("--max-request-bytes", "BYTES", "largest AdmissionReview accepted, else 413 (default 2097152: etcd stores objects of at most 1.5 MiB, ~2 MiB as JSON)"),
        ("--max-connections", "N", "open webhook connections at most; more are closed at once, before TLS (default 512; ~50 KiB each)"),
        ("--max-inflight-bytes", "BYTES", "review bodies answered at once at most; more get HTTP 429 at once (default: from the memory limit, 4 MiB in a 128 MiB pod)"),
        ("--self-check-interval", "SECONDS", "how often liveness sends a request through the webhook port itself (default 10)"),
        ("--revision", "NAME", "revision written into the sidecar.istio.io/status annotation (default 'default')"),
        ("--kubeconfig", "FILE", "the cluster's API from this kubeconfig (default: the in-cluster service account when KUBERNETES_SERVICE_HOST is set, else no cluster features)"),
        ("--webhook-config-name", "NAME", "keep webhooks[*].clientConfig.caBundle of this MutatingWebhookConfiguration equal to --ca-file (watched; needs the cluster)"),
        ("--ca-file", "FILE", "CA bundle for --webhook-config-name (default: ca.crt beside --tls-cert-file)"),
        ("--poll-interval", "SECONDS", "fallback re-read of config and certificate files (default 30)"),
        ("--shutdown-delay", "SECONDS", "after SIGTERM, keep serving but report not ready, so the Service stops sending first (default 5)"),
        ("--shutdown-timeout", "SECONDS", "then time to finish in-flight reviews (default 25)"),
        ("--log-level", "LEVEL", "Trace, Debug, Information, Warning, Error (default Information; Debug logs every pod decision)"),
        ("--log-format", "FORMAT", "text (one line per entry, the default) or json (one JSON object per line, fields structured)"),
        ("--enable-noop-endpoint", null, "also serve POST /noop (reads the review, answers a constant): the baseline for load tests"),
    ];

    public static Command Parse(string[] args, Func<string, string?> environment)
    {
        var rest = new List<string>(args);
        if (rest.Count > 0 && !rest[0].StartsWith('-'))
        {
            var verb = rest[0];
            rest.RemoveAt(0);
            switch (verb)
            {
                case "serve":
                    break;
                case "sample-review":
                    return new Command.SampleReview(rest.Contains("--v1beta1"));
                case "inject":
                    return new Command.Inject([.. rest]);
                case "check-config":
                    return new Command.CheckConfig([.. rest]);
                case "webhook-config":
                    return new Command.WebhookConfig([.. rest]);
                case "check-inject":
                    return new Command.CheckInject([.. rest]);
                case "explain":
                    return new Command.Explain([.. rest]);
                case "help":
                    return new Command.Help();
                case "version":
                    return new Command.Version();
                default:
                    return new Command.Invalid($"unknown command '{verb}' (try --help)");
            }
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (flag, value, _) in ServeFlags)
        {
            var fromEnv = environment(EnvName(flag));
            if (!string.IsNullOrEmpty(fromEnv))
            {
                values[flag] = fromEnv;
            }
        }
        for (int i = 0; i < rest.Count; i++)
        {
            var arg = rest[i];
            if (arg is "--help" or "-h")
            {
                return new Command.Help();
            }
            if (arg == "--version")
            {
                return new Command.Version();
            }
            string name = arg, inline = "";
            bool hasInline = false;
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
                hasInline = true;
            }
            var spec = Array.Find(ServeFlags, f => f.Flag == name);
            if (spec.Flag is null)
            {
                return new Command.Invalid($"unknown flag '{arg}' (try --help)");
            }
            if (spec.Value is null)
            {
                values[name] = hasInline ? inline : "true";
                continue;
            }
            if (hasInline)
            {
                values[name] = inline;
            }
            else if (i + 1 < rest.Count)
            {
                values[name] = rest[++i];
            }
            else
            {
                return new Command.Invalid($"flag {name} needs a value ({spec.Value})");
            }
        }
        try
        {
            return new Command.Serve(Build(values));
        }
        catch (FormatException e)
        {
            return new Command.Invalid(e.Message);
        }
    }

    public static string EnvName(string flag) => EnvPrefix + flag.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    private static ServeOptions Build(Dictionary<string, string> v)
    {
        var dev = Switch(v, "--dev");
        var options = new ServeOptions
        {
            Port = Port(v, "--port", 9443),
            AdminPort = Port(v, "--admin-port", 8080),
            ListenAddress = v.GetValueOrDefault("--listen-address", ""),
            TlsCertFile = v.GetValueOrDefault("--tls-cert-file", ServeOptions.DefaultCertFile),
            TlsKeyFile = v.GetValueOrDefault("--tls-key-file", ServeOptions.DefaultKeyFile),
            // In dev mode the embedded config is used unless a directory or file is named explicitly.
            ConfigDir = v.TryGetValue("--config-dir", out var dir) ? dir : dev || v.ContainsKey("--config-file") ? null : ServeOptions.DefaultConfigDir,
            ConfigFile = v.GetValueOrDefault("--config-file"),
            Dev = dev,
            EnableHttp2 = Switch(v, "--enable-http2"),
            MaxRequestBytes = Number(v, "--max-request-bytes", ServeOptions.DefaultMaxRequestBytes, min: 1024),
            MaxConnections = (int)Math.Min(int.MaxValue, Number(v, "--max-connections", 512, min: 1)),
            MaxInflightBytes = v.ContainsKey("--max-inflight-bytes") ? Number(v, "--max-inflight-bytes", 0, min: 1024) : null,
            SelfCheckInterval = TimeSpan.FromSeconds(Number(v, "--self-check-interval", 10, min: 1)),
            Revision = v.GetValueOrDefault("--revision", "default"),
            Kubeconfig = v.GetValueOrDefault("--kubeconfig"),
            WebhookConfigName = v.GetValueOrDefault("--webhook-config-name"),
            CaFile = v.GetValueOrDefault("--ca-file"),
            PollInterval = TimeSpan.FromSeconds(Number(v, "--poll-interval", 30, min: 1)),
            ShutdownTimeout = TimeSpan.FromSeconds(Number(v, "--shutdown-timeout", 25, min: 0)),
            ShutdownDelay = TimeSpan.FromSeconds(Number(v, "--shutdown-delay", dev ? 0 : 5, min: 0)),
            LogLevel = LogLevelName(v.GetValueOrDefault("--log-level", "Information")),
            JsonLogs = v.GetValueOrDefault("--log-format", "text") switch
            {
                "text" => false,
                "json" => true,
                var other => throw new FormatException($"--log-format must be text or json, not '{other}'"),
            },
            NoopEndpoint = Switch(v, "--enable-noop-endpoint"),
        };
        if (v.ContainsKey("--config-dir") && v.ContainsKey("--config-file"))
        {
            throw new FormatException("--config-dir and --config-file exclude each other; give one");
        }
        if (options.Port == options.AdminPort && options.Port != 0)
        {
            throw new FormatException("--port and --admin-port must differ");
        }
        return options;
    }

    private static string LogLevelName(string text) =>
        text.ToLowerInvariant() is "trace" or "debug" or "information" or "warning" or "error" or "critical" or "none"
            ? text
            : throw new FormatException($"--log-level must be Trace, Debug, Information, Warning, Error, Critical or None, not '{text}'");

    private static bool Switch(Dictionary<string, string> v, string flag) =>
        v.TryGetValue(flag, out var s) && (s.Length == 0 || bool.TryParse(s, out var b) && b || s == "1");

    private static int Port(Dictionary<string, string> v, string flag, int fallback)
    {
        var n = Number(v, flag, fallback, min: 0);
        return n <= 65535 ? (int)n : throw new FormatException($"{flag} must be a port number (0-65535)");
    }

    private static long Number(Dictionary<string, string> v, string flag, long fallback, long min)
    {
        if (!v.TryGetValue(flag, out var s))
        {
            return fallback;
        }
        if (!long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min)
        {
            throw new FormatException($"{flag} must be a whole number >= {min}, not '{s}'");
        }
        return n;
    }
}
