using SidecarInjector.Json;
using SidecarInjector.Metrics;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Metrics;

/// <summary>The injector's instruments in Prometheus' text format, under Istio's names.</summary>
public sealed class PrometheusExporterTests
{
    private static string Scrape(PrometheusExporter exporter)
    {
        using var output = new PooledBufferWriter();
        exporter.WriteTo(output);
        return Reviews.Utf8(output.WrittenSpan);
    }

    [Fact]
    public void Outcomes_are_counted_under_istios_names_with_their_reason()
    {
        using var exporter = new PrometheusExporter();
        // The instruments are process-wide (other tests count too): compare before and after.
        var before = Scrape(exporter);

        InjectorMetrics.Injected(0.002, "direct");
        InjectorMetrics.Skipped(0.001);
        InjectorMetrics.Denied("injection_error", 0.003);
        InjectorMetrics.Failure("internal_error");

        var after = Scrape(exporter);
        Assert.Equal(1, PrometheusText.Value(after, "sidecar_injection_success_total") - PrometheusText.Value(before, "sidecar_injection_success_total"));
        Assert.Equal(1, PrometheusText.Value(after, "sidecar_injection_skip_total") - PrometheusText.Value(before, "sidecar_injection_skip_total"));
        const string direct = "sidecar_injector_injections_total{path=\"direct\"}";
        Assert.Equal(1, PrometheusText.Value(after, direct) - PrometheusText.Value(before, direct));
        foreach (var reason in new[] { "injection_error", "internal_error" })
        {
            var series = $"sidecar_injection_failure_total{{reason=\"{reason}\"}}";
            Assert.Equal(1, PrometheusText.Value(after, series) - PrometheusText.Value(before, series));
        }
        Assert.Contains("# TYPE sidecar_injection_time_seconds histogram", after, StringComparison.Ordinal);
        Assert.Contains("sidecar_injection_time_seconds_bucket{le=\"+Inf\"}", after, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_line_is_a_comment_or_a_sample()
    {
        using var exporter = new PrometheusExporter();
        InjectorMetrics.Request();

        foreach (var line in Scrape(exporter).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Matches(@"^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+\-]+(Inf)?|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? NaN)$", line);
        }
    }

    [Theory]
    [InlineData(0.000095, "9.5e-05")]
    [InlineData(1.5, "1.5")]
    [InlineData(1e21, "1e+21")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    public void Values_are_written_as_prometheus_go_client_writes_them(double value, string text)
    {
        Assert.Equal(text, PrometheusExporter.FormatNumber(value));
    }
}
