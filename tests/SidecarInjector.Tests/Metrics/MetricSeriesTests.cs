using System.Diagnostics.Metrics;
using System.Text;
using SidecarInjector.Metrics;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Metrics;

/// <summary>
/// Cells found by known tag sets (no label formatting) and updated without a lock: every tag set
/// still lands in the cell its labels name, and concurrent measurements are all counted.
/// </summary>
public sealed class MetricSeriesTests
{
    private static KeyValuePair<string, object?>[] Tags(params (string Key, object? Value)[] tags) =>
        [.. tags.Select(t => new KeyValuePair<string, object?>(t.Key, t.Value))];

    private static string Text(MetricSeries series)
    {
        var text = new StringBuilder();
        series.Format(text);
        return text.ToString();
    }

    [Fact]
    public void Equal_tags_share_a_cell_and_unequal_ones_do_not()
    {
        using var meter = new Meter("metric-series-tests-" + Guid.NewGuid());
        var series = new MetricSeries("calls_total", meter.CreateCounter<long>("calls"), null);

        series.Record(1, Tags(("code", 200), ("scheme", "https")));
        series.Record(1, Tags(("code", 200), ("scheme", new string("https".AsSpan()))));
        series.Record(1, Tags(("code", 404), ("scheme", "https")));
        series.Record(1, Tags(("code", 200L), ("scheme", "https")));
        series.Record(1, Tags(("code", "200"), ("scheme", "http")));
        series.Record(1, Tags(("scheme", "https"), ("code", 200)));
        series.Record(1, Tags(("ratio", 0.0)));
        series.Record(1, Tags(("ratio", -0.0)));
        series.Record(1, Tags(("ok", true)));
        series.Record(1, Tags(("ok", false)));
        series.Record(1, Tags(("missing", null)));

        var text = Text(series);
        // An int and a long of one value write the same label, so they count in one cell.
        Assert.Equal(3, PrometheusText.Value(text, "calls_total{code=\"200\",scheme=\"https\"}"));
        Assert.Equal(1, PrometheusText.Value(text, "calls_total{code=\"404\",scheme=\"https\"}"));
        Assert.Equal(1, PrometheusText.Value(text, "calls_total{code=\"200\",scheme=\"http\"}"));
        Assert.Equal(1, PrometheusText.Value(text, "calls_total{scheme=\"https\",code=\"200\"}"));
        Assert.Equal(1, PrometheusText.Value(text, "calls_total{ratio=\"0\"}"));
        Assert.Equal(1, PrometheusText.Value(text, "calls_total{ratio=\"-0\"}"));
        Assert.Equal(1, PrometheusText.Value(text, "calls_total{ok=\"true\"}"));
        Assert.Equal(1, PrometheusText.Value(text, "calls_total{ok=\"false\"}"));
        Assert.Equal(1, PrometheusText.Value(text, "calls_total{missing=\"\"}"));
    }

    [Fact]
    public void Tag_sets_past_the_known_limit_are_counted_in_their_own_cells()
    {
        using var meter = new Meter("metric-series-tests-" + Guid.NewGuid());
        var series = new MetricSeries("failures_total", meter.CreateCounter<long>("failures"), null);
        int sets = KnownTags<object>.Limit * 3;

        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < sets; i++)
            {
                series.Record(i + 1, Tags(("reason", "r" + i)));
            }
        }

        var text = Text(series);
        for (int i = 0; i < sets; i++)
        {
            Assert.Equal(3 * (i + 1), PrometheusText.Value(text, $"failures_total{{reason=\"r{i}\"}}"));
        }
    }

    [Fact]
    public void Concurrent_measurements_are_all_counted_and_a_histograms_count_equals_its_buckets()
    {
        using var meter = new Meter("metric-series-tests-" + Guid.NewGuid());
        double[] bounds = [0.5, 1.5];
        var histogram = new MetricSeries("time_seconds", meter.CreateHistogram<double>("time"), bounds);
        var counter = new MetricSeries("calls_total", meter.CreateCounter<long>("calls"), null);
        const int PerThread = 200_000;
        var tags = Tags(("path", "memo"));

        // Threads, not pool tasks, started together: the measurements overlap on every core.
        using var start = new Barrier(4);
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < PerThread; i++)
            {
                histogram.Record(i % 3, tags);
            }
            for (int i = 0; i < PerThread; i++)
            {
                counter.Record(1, tags);
                counter.Record(1, []);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var text = Text(histogram) + Text(counter);
        const int Total = 4 * PerThread;
        Assert.Equal(Total, PrometheusText.Value(text, "calls_total{path=\"memo\"}"));
        Assert.Equal(Total, PrometheusText.Value(text, "calls_total"));
        Assert.Equal(Total, PrometheusText.Value(text, "time_seconds_count{path=\"memo\"}"));
        Assert.Equal(Total, PrometheusText.Value(text, "time_seconds_bucket{path=\"memo\",le=\"+Inf\"}"));
        // Values 0, 1, 2 in turn: a third at or under each bound, and their exact sum.
        var zeros = Enumerable.Range(0, PerThread).Count(i => i % 3 == 0) * 4;
        var ones = Enumerable.Range(0, PerThread).Count(i => i % 3 == 1) * 4;
        Assert.Equal(zeros, PrometheusText.Value(text, "time_seconds_bucket{path=\"memo\",le=\"0.5\"}"));
        Assert.Equal(zeros + ones, PrometheusText.Value(text, "time_seconds_bucket{path=\"memo\",le=\"1.5\"}"));
        Assert.Equal(ones + 2.0 * (Total - zeros - ones), PrometheusText.Value(text, "time_seconds_sum{path=\"memo\"}"));
    }
}
