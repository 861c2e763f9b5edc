using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace SidecarInjector.Metrics;

/// <summary>One exported metric: its cells by label set, updated in place by the listener.</summary>
internal sealed class MetricSeries
{
    private readonly string _name;
    private readonly string _help;
    private readonly string _type;
    private readonly double[]? _buckets;
    private readonly bool _lastValueWins;
    private readonly ConcurrentDictionary<string, Cell> _cells = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Cell>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private Cell? _untagged;

    public MetricSeries(string name, Instrument instrument, double[]? buckets)
    {
        _name = name;
        _help = instrument.Description ?? "";
        _buckets = buckets;
        // An observable instrument reports its current total at each scrape, and a gauge its current
        // value: both replace what was there. Only push instruments (Add, Record) accumulate.
        _lastValueWins = instrument.IsObservable || instrument is Gauge<long> or Gauge<double> or Gauge<int>;
        _type = buckets is not null ? "histogram" : PrometheusExporter.IsCounter(instrument) ? "counter" : "gauge";
        _lookup = _cells.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            // Most per-review measurements carry no tags: their cell, found once, is kept at hand.
            var untagged = _untagged ??= _cells.GetOrAdd("", _ => new Cell(_buckets));
            untagged.Record(value, _buckets, _lastValueWins);
            return;
        }
        Span<char> scratch = stackalloc char[512];
        var labels = LabelText.Format(tags, scratch, out var rented);
        if (!_lookup.TryGetValue(labels, out var cell))
        {
            cell = _cells.GetOrAdd(labels.ToString(), _ => new Cell(_buckets));
        }
        if (rented is not null)
        {
            System.Buffers.ArrayPool<char>.Shared.Return(rented);
        }
        cell.Record(value, _buckets, _lastValueWins);
    }

    public void Format(StringBuilder text)
    {
        if (_cells.IsEmpty)
        {
            return;
        }
        text.Append("# HELP ").Append(_name).Append(' ').Append(_help.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
        text.Append("# TYPE ").Append(_name).Append(' ').Append(_type).Append('\n');
        var keys = new List<string>(_cells.Keys);
        keys.Sort(StringComparer.Ordinal);
        foreach (var labels in keys)
        {
            _cells[labels].Format(text, _name, labels, _buckets);
        }
    }

    private sealed class Cell(double[]? buckets)
    {
        private readonly long[]? _bucketCounts = buckets is null ? null : new long[buckets.Length + 1];
        private double _sum;
        private long _count;

        public void Record(double value, double[]? bounds, bool lastValueWins)
        {
            lock (this)
            {
                if (bounds is not null)
                {
                    int i = 0;
                    while (i < bounds.Length && value > bounds[i])
                    {
                        i++;
                    }
                    _bucketCounts![i]++;
                }
                _sum = lastValueWins ? value : _sum + value;
                _count++;
            }
        }

        public void Format(StringBuilder text, string name, string labels, double[]? bounds)
        {
            lock (this)
            {
                if (bounds is null)
                {
                    Line(text, name, "", labels, null).Append(PrometheusExporter.FormatNumber(_sum)).Append('\n');
                    return;
                }
                long cumulative = 0;
                for (int i = 0; i < bounds.Length; i++)
                {
                    cumulative += _bucketCounts![i];
                    Line(text, name, "_bucket", labels, PrometheusExporter.FormatNumber(bounds[i])).Append(cumulative).Append('\n');
                }
                Line(text, name, "_bucket", labels, "+Inf").Append(_count).Append('\n');
                Line(text, name, "_sum", labels, null).Append(PrometheusExporter.FormatNumber(_sum)).Append('\n');
                Line(text, name, "_count", labels, null).Append(_count).Append('\n');
            }
        }

        private static StringBuilder Line(StringBuilder text, string name, string suffix, string labels, string? le)
        {
            text.Append(name).Append(suffix);
            if (labels.Length > 0 || le is not null)
            {
                text.Append('{').Append(labels);
                if (le is not null)
                {
                    text.Append(labels.Length > 0 ? ",le=\"" : "le=\"").Append(le).Append('"');
                }
                text.Append('}');
            }
            return text.Append(' ');
        }
    }
}
