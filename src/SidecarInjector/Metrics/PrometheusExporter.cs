using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace SidecarInjector.Metrics;

/// <summary>
/// A small, AOT-safe Prometheus text-format (0.0.4) exporter over <see cref="MeterListener"/>:
/// the injector's meter plus Kestrel's and ASP.NET Core hosting's (requests, connections, TLS
/// handshakes). Measurements aggregate in place; a scrape only formats.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    private static readonly HashSet<string> ExportedMeters = new(StringComparer.Ordinal)
    {
        InjectorMetrics.MeterName,
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Hosting",
        // The process as the runtime sees it: working set, CPU time, GC heap, pauses, thread pool.
        "System.Runtime",
    };

    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, MetricSeries> _series = new(StringComparer.Ordinal);

    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!ExportedMeters.Contains(instrument.Meter.Name))
            {
                return;
            }
            var series = _series.GetOrAdd(PrometheusName(instrument), name => new MetricSeries(name, instrument, BucketsFor(instrument)));
            listener.EnableMeasurementEvents(instrument, series);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((MetricSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((MetricSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((MetricSeries)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Writes every series in Prometheus text format.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        _listener.RecordObservableInstruments();
        var names = new List<string>(_series.Keys);
        names.Sort(StringComparer.Ordinal);
        var text = new StringBuilder(4096);
        foreach (var name in names)
        {
            _series[name].Format(text);
        }
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        output.Write(bytes);
    }

    public void Dispose() => _listener.Dispose();

    internal static string PrometheusName(Instrument instrument)
    {
        if (instrument.Meter.Name == InjectorMetrics.MeterName)
        {
            return instrument.Name;
        }
        var name = new StringBuilder(instrument.Name.Length + 16);
        foreach (var c in instrument.Name)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }
        if (instrument.Unit == "s")
        {
            name.Append("_seconds");
        }
        else if (instrument.Unit == "By")
        {
            name.Append("_bytes");
        }
        if (IsCounter(instrument))
        {
            name.Append("_total");
        }
        return name.ToString();
    }

    internal static bool IsCounter(Instrument instrument) =>
        instrument is Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<double>;

    private static double[]? BucketsFor(Instrument instrument) => instrument switch
    {
        Histogram<double> h => h.Advice?.HistogramBucketBoundaries is { } b ? [.. b] : DefaultBuckets,
        Histogram<long> h => h.Advice?.HistogramBucketBoundaries is { } b ? [.. b.Select(x => (double)x)] : DefaultBuckets,
        Histogram<int> h => h.Advice?.HistogramBucketBoundaries is { } b ? [.. b.Select(x => (double)x)] : DefaultBuckets,
        _ => null,
    };

    /// <summary>
    /// A sample value as Prometheus' Go client writes it (strconv 'g', shortest): .NET's round-trip
    /// text with a lower-case exponent ("9.5e-05"; .NET writes "9.5E-05" for a fast review's seconds).
    /// </summary>
    internal static string FormatNumber(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e'),
    };
}
