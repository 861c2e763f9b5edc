using System.Diagnostics.Metrics;

namespace SidecarInjector.Metrics;

/// <summary>
/// The injector's own instruments, named as Istio names them (pkg/kube/inject/monitoring.go) so
/// existing dashboards keep working. Exported by <see cref="PrometheusExporter"/>.
/// </summary>
internal static class InjectorMetrics
{
    public const string MeterName = "SidecarInjector";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>(
        "sidecar_injection_requests_total", description: "Webhook calls received.");
    private static readonly Counter<long> Successes = Meter.CreateCounter<long>(
        "sidecar_injection_success_total", description: "Pods injected (a patch was returned).");
    private static readonly Counter<long> Skips = Meter.CreateCounter<long>(
        "sidecar_injection_skip_total", description: "Reviews allowed unchanged: not a Pod CREATE, not selected, or already injected.");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>(
        "sidecar_injection_failure_total", description: "Reviews refused or not answered with an AdmissionResponse, by reason.");
    private static readonly Histogram<double> Time = Meter.CreateHistogram(
        "sidecar_injection_time_seconds", unit: "s", description: "Time to answer a review.",
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1, 3, 5, 10, 20, 30, 60],
        });
    private static readonly Counter<long> ConfigReloads = Meter.CreateCounter<long>(
        "sidecar_injector_config_reloads_total", description: "Config loads, by result (success or failure).");
    private static readonly Counter<long> CertificateReloads = Meter.CreateCounter<long>(
        "sidecar_injector_certificate_reloads_total", description: "Certificate loads, by result (success or failure).");

    private static readonly Counter<long> InjectionPaths = Meter.CreateCounter<long>(
        "sidecar_injector_injections_total",
        description: "Pods injected, by how the patch was made: memo (a sibling's answer), direct (written from the pod's bytes), projection (merged on the pod without its bulk) or merge (the whole pod merged).");

    private static readonly Counter<long> RenderKeyDisagreements = Meter.CreateCounter<long>(
        "sidecar_injector_render_key_disagreements_total",
        description: "Templates whose render differed from the one kept under the same key (a bug of ours; keys are then off for that template), by template.");

    private static string _configVersion = "";

    /// <summary>The serving handler's tables of remembered answers and their bytes (set once it exists).</summary>
    private static Func<(string Table, long Bytes)[]>? s_answerTables;

    static InjectorMetrics()
    {
        Meter.CreateObservableGauge("sidecar_injector_config_info", ObserveConfig,
            description: "Always 1; the version label is the content hash of the loaded config.");
        Meter.CreateObservableGauge("sidecar_injector_answer_cache_bytes", ObserveAnswerTables, unit: "By",
            description: "Bytes held by each table of remembered answers (memo, sibling_reviews, sibling_digests), as each table counts them.");
    }

    /// <summary>Where <c>sidecar_injector_answer_cache_bytes</c> reads the tables from: the handler that serves reviews.</summary>
    public static void ObserveAnswerTables(Func<(string Table, long Bytes)[]> tables) => Volatile.Write(ref s_answerTables, tables);

    private static IEnumerable<Measurement<long>> ObserveAnswerTables()
    {
        if (Volatile.Read(ref s_answerTables) is not { } tables)
        {
            return [];
        }
        var sizes = tables();
        var measurements = new Measurement<long>[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            measurements[i] = new Measurement<long>(sizes[i].Bytes, new KeyValuePair<string, object?>("table", sizes[i].Table));
        }
        return measurements;
    }

    public static void Request() => Requests.Add(1);

    /// <summary>A template's render disagreed with its key's: renders of it are no longer kept by key.</summary>
    public static void RenderKeyDisagreed(string template) =>
        RenderKeyDisagreements.Add(1, new KeyValuePair<string, object?>("template", template));

    /// <summary>A review answered with a patch made the way <paramref name="path"/> says.</summary>
    public static void Injected(double seconds, string path)
    {
        Successes.Add(1);
        InjectionPaths.Add(1, new KeyValuePair<string, object?>("path", path));
        Time.Record(seconds);
    }

    /// <summary>A review allowed unchanged.</summary>
    public static void Skipped(double seconds)
    {
        Skips.Add(1);
        Time.Record(seconds);
    }

    /// <summary>A review answered with a denial, for <paramref name="reason"/>.</summary>
    public static void Denied(string reason, double seconds)
    {
        Failure(reason);
        Time.Record(seconds);
    }

    public static void Failure(string reason) => Failures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public static void ConfigReloaded(bool success, string? version)
    {
        ConfigReloads.Add(1, new KeyValuePair<string, object?>("result", success ? "success" : "failure"));
        if (success && version is not null)
        {
            Volatile.Write(ref _configVersion, version);
        }
    }

    private static long s_certificateExpiry;

    /// <summary>When the serving certificate expires (Unix seconds): alert well before it.</summary>
    private static readonly ObservableGauge<long> CertificateExpiry = Meter.CreateObservableGauge(
        "sidecar_injector_certificate_expiry_timestamp_seconds", () => Interlocked.Read(ref s_certificateExpiry),
        unit: "s", description: "Expiry of the serving certificate in use, as Unix time in seconds.");

    public static void CertificateExpires(DateTime notAfterUtc) =>
        Interlocked.Exchange(ref s_certificateExpiry, new DateTimeOffset(notAfterUtc, TimeSpan.Zero).ToUnixTimeSeconds());

    public static void CertificateReloaded(bool success) =>
        CertificateReloads.Add(1, new KeyValuePair<string, object?>("result", success ? "success" : "failure"));

    private static IEnumerable<Measurement<long>> ObserveConfig()
    {
        var version = Volatile.Read(ref _configVersion);
        if (version.Length == 0)
        {
            return [];
        }
        return [new Measurement<long>(1, new KeyValuePair<string, object?>("version", version))];
    }
}
