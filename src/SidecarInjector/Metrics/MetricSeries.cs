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
    private KnownTags<Cell>[] _known = [];

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
        (KnownTags<Cell>.Find(_known, tags) ?? CellFor(tags)).Record(value, _buckets, _lastValueWins);
    }

    /// <summary>The cell of a tag set not among the known ones: its labels formatted and looked up.</summary>
    private Cell CellFor(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
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
        KnownTags<Cell>.TryAdd(ref _known, tags, cell);
        return cell;
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

    /// <summary>
    /// One label set's numbers, updated without a lock (a review records several measurements, on
    /// every thread). A scrape may see a measurement's bucket before its sum; the count is the
    /// buckets' total, so a histogram's count and buckets always agree.
    /// </summary>
    private sealed class Cell(double[]? buckets)
    {
        private readonly long[]? _bucketCounts = buckets is null ? null : new long[buckets.Length + 1];

        /// <summary>The sum (or the last value) as the bits of a double: compared and swapped as a long, so a NaN cannot spin the loop.</summary>
        private long _sumBits;

        public void Record(double value, double[]? bounds, bool lastValueWins)
        {
            if (bounds is not null)
            {
                int i = 0;
                while (i < bounds.Length && value > bounds[i])
                {
                    i++;
                }
                Interlocked.Increment(ref _bucketCounts![i]);
            }
            if (lastValueWins)
            {
                Interlocked.Exchange(ref _sumBits, BitConverter.DoubleToInt64Bits(value));
                return;
            }
            long seen = Volatile.Read(ref _sumBits);
            while (true)
            {
                long sum = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(seen) + value);
                long found = Interlocked.CompareExchange(ref _sumBits, sum, seen);
                if (found == seen)
                {
                    return;
                }
                seen = found;
            }
        }

        public void Format(StringBuilder text, string name, string labels, double[]? bounds)
        {
            var sum = PrometheusExporter.FormatNumber(BitConverter.Int64BitsToDouble(Volatile.Read(ref _sumBits)));
            if (bounds is null)
            {
                Line(text, name, "", labels, null).Append(sum).Append('\n');
                return;
            }
            long cumulative = 0;
            for (int i = 0; i < bounds.Length; i++)
            {
                cumulative += Volatile.Read(ref _bucketCounts![i]);
                Line(text, name, "_bucket", labels, PrometheusExporter.FormatNumber(bounds[i])).Append(cumulative).Append('\n');
            }
            cumulative += Volatile.Read(ref _bucketCounts![bounds.Length]);
            Line(text, name, "_bucket", labels, "+Inf").Append(cumulative).Append('\n');
            Line(text, name, "_sum", labels, null).Append(sum).Append('\n');
            Line(text, name, "_count", labels, null).Append(cumulative).Append('\n');
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
