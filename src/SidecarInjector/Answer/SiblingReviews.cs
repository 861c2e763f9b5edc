using System.Buffers;
using SidecarInjector.Configuration;
using SidecarInjector.Decode;
using SidecarInjector.Json;
using SidecarInjector.Render;

namespace SidecarInjector.Answer;

/// <summary>
/// Answers a review from its bytes alone when they equal a remembered review's everywhere except in
/// values no answer reads: the request's uid and the pod's values its <see cref="WorkloadKey"/> leaves
/// out and no one reads (<see cref="SiblingVariation"/>: the token volume's five letters, uids, times,
/// per-pod labels). That is what a rollout's pods look like at admission: a ReplicaSet's pods have no
/// name or uid yet, only the ServiceAccount admission's random token volume name sets them apart.
/// <para>
/// Why the answer is the remembered one: the differing bytes are inside string values, of the same
/// length, and neither quote, backslash nor control character (nor, in the token's five, anything the
/// key's rule would not mask), so both reviews are the same JSON tokens at the same offsets. Reading
/// this review would give the same request (but its uid, which the answer copies) and the same
/// <see cref="WorkloadKey"/>, so the memo would give the same answer: this is that lookup without the
/// read, one comparison of the bytes. The answer's bytes are the remembered review's answer with this
/// uid written over the other's (uids of letters, digits and dashes, which JSON writes unescaped).
/// </para>
/// <para>
/// Only reviews the memo has answered are remembered (their answer is known to be shared by siblings),
/// for the same config and nodes. A small direct-mapped table by body length and path: an entry keeps its
/// review and answer (≤ <see cref="MaxEntryBytes"/>), so the table holds at most
/// <see cref="SlotCount"/> × that. An entry keeps its slot until it has answered nothing for
/// <see cref="IdleBeforeReplaced"/>: more workloads than slots creating pods at once (5,000 distinct
/// pods cycled by a load test) would otherwise replace entries review after review, each a copy of a
/// review and its answer that lives just long enough to reach the GC's oldest generation (peak RSS).
/// A rollout takes a slot once the one before it has finished.
/// </para>
/// </summary>
internal sealed class SiblingReviews(TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    private const int SlotCount = 64;

    /// <summary>Largest review plus answer kept (a typical pod's review and answer are ~12 KB).</summary>
    public const int MaxEntryBytes = 48 * 1024;

    /// <summary>How long an entry must have answered nothing before another review may take its slot (milliseconds).</summary>
    public const long IdleBeforeReplaced = 1000;

    private readonly Entry?[] _slots = new Entry?[SlotCount];

    /// <summary>One remembered review and its answer; immutable once published but for <see cref="LastUsed"/>.</summary>
    internal sealed class Entry(byte[] body, VariableRange[] ranges, ConfigSnapshot config, NativeSidecarNodes? nodes,
        string path, AdmissionRequest request, string podName, CachedAnswer answer, byte[] response, int responseUidAt, long lastUsed)
    {
        public byte[] Body { get; } = body;

        /// <summary>The values that may differ, in the order they come in the body.</summary>
        public VariableRange[] Ranges { get; } = ranges;
        public ConfigSnapshot Config { get; } = config;
        public NativeSidecarNodes? Nodes { get; } = nodes;
        public string Path { get; } = path;

        /// <summary>The request as read from <see cref="Body"/>: every offset holds for a matching body.</summary>
        public AdmissionRequest Request { get; } = request;
        public string PodName { get; } = podName;
        public CachedAnswer Answer { get; } = answer;

        /// <summary>The AdmissionReview written for <see cref="Body"/>; the uid sits at <see cref="ResponseUidAt"/>.</summary>
        public byte[] Response { get; } = response;
        public int ResponseUidAt { get; } = responseUidAt;

        /// <summary>The same answer in gzip form, its uid last, for clients that accept it.</summary>
        public GzipAnswer? Gzip { get; } = GzipAnswer.Create(response, responseUidAt, request.UidLength);

        /// <summary>When the entry was made or last answered (<see cref="NowMilliseconds"/>, to ~16 ms).</summary>
        public long LastUsed = lastUsed;
    }

    /// <summary>A string's text (quotes excluded) in the body that a matching review may spell otherwise, and how.</summary>
    internal readonly record struct VariableRange(int Start, int Length, SiblingVariation Variation);

    private long NowMilliseconds() => _clock.GetTimestamp() / Math.Max(1, _clock.TimestampFrequency / 1000);

    private static int SlotOf(int length, ReadOnlySpan<char> path) =>
        (int)(((uint)length * 0x9E3779B1u ^ (uint)string.GetHashCode(path, StringComparison.Ordinal)) >> 26) & (SlotCount - 1);

    /// <summary>
    /// The remembered entry <paramref name="body"/> matches (see the class), with its answer written to
    /// <paramref name="output"/>, in gzip form when <paramref name="acceptsGzip"/> (then
    /// <paramref name="gzipped"/>); null, having written nothing, when there is none.
    /// </summary>
    public Entry? TryAnswer(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, ConfigSnapshot config, NativeSidecarNodes? nodes,
        IBufferWriter<byte> output, bool acceptsGzip, out bool gzipped)
    {
        gzipped = false;
        if (body.Length > MaxEntryBytes)
        {
            return null;
        }
        var entry = Volatile.Read(ref _slots[SlotOf(body.Length, path)]);
        if (entry is null
            || entry.Body.Length != body.Length
            || !ReferenceEquals(entry.Config, config)
            || !ReferenceEquals(entry.Nodes, nodes)
            || !path.SequenceEqual(entry.Path)
            || !Matches(body, entry))
        {
            return null;
        }
        long now = NowMilliseconds();
        if (now - Volatile.Read(ref entry.LastUsed) > 16)
        {
            Volatile.Write(ref entry.LastUsed, now);
        }
        var request = entry.Request;
        var uid = body.Slice(request.UidStart, request.UidLength);
        if (acceptsGzip && entry.Gzip is { } gzip)
        {
            int length = gzip.LengthFor(uid.Length);
            gzip.Write(uid, output.GetSpan(length));
            output.Advance(length);
            gzipped = true;
            return entry;
        }
        var response = entry.Response;
        var span = output.GetSpan(response.Length);
        response.CopyTo(span);
        uid.CopyTo(span[entry.ResponseUidAt..]);
        output.Advance(response.Length);
        return entry;
    }

    private static bool Matches(ReadOnlySpan<byte> body, Entry entry)
    {
        var remembered = entry.Body.AsSpan();
        int from = 0;
        foreach (var (start, length, variation) in entry.Ranges)
        {
            if (!body[from..start].SequenceEqual(remembered[from..start]) || !Allowed(body.Slice(start, length), variation))
            {
                return false;
            }
            from = start + length;
        }
        return body[from..].SequenceEqual(remembered[from..]);
    }

    private static readonly SearchValues<byte> TokenSuffixBytes = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789"u8);
    private static readonly SearchValues<byte> UidBytes = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"u8);
    private static readonly SearchValues<byte> PlainTextBytes = SearchValues.Create(PrintableAsciiExceptQuoteAndBackslash());

    private static byte[] PrintableAsciiExceptQuoteAndBackslash()
    {
        var bytes = new List<byte>();
        for (int c = 0x20; c < 0x7F; c++)
        {
            if (c is not '"' and not '\\')
            {
                bytes.Add((byte)c);
            }
        }
        return [.. bytes];
    }

    /// <summary>
    /// Whether <paramref name="value"/> (a string's text, quotes excluded) may stand where the remembered
    /// value stood: every byte one the variation allows (a vectorised search for any other).
    /// </summary>
    private static bool Allowed(ReadOnlySpan<byte> value, SiblingVariation variation) => variation switch
    {
        SiblingVariation.TokenSuffix => !value.ContainsAnyExcept(TokenSuffixBytes),
        SiblingVariation.PlainText => !value.ContainsAnyExcept(PlainTextBytes),
        SiblingVariation.Uid => !value.ContainsAnyExcept(UidBytes),
        _ => false,
    };

    /// <summary>
    /// Remembers <paramref name="body"/>, which the memo answered with <paramref name="answer"/>, its key
    /// read as <paramref name="key"/>: unless its slot holds an entry that answered a review within <see cref="IdleBeforeReplaced"/>.
    /// </summary>
    public void Remember(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, ConfigSnapshot config, NativeSidecarNodes? nodes,
        in AdmissionRequest request, WorkloadKey key, string podName, CachedAnswer answer)
    {
        if (body.Length > MaxEntryBytes || request.EscapedUid is not null || !Allowed(body.Slice(request.UidStart, request.UidLength), SiblingVariation.Uid))
        {
            return;
        }
        ref var slot = ref _slots[SlotOf(body.Length, path)];
        var current = Volatile.Read(ref slot);
        long now = NowMilliseconds();
        if (current is not null && now - Volatile.Read(ref current.LastUsed) < IdleBeforeReplaced)
        {
            return;
        }
        var ranges = new List<VariableRange>(1 + key.MaskedCount) { new(request.UidStart, request.UidLength, SiblingVariation.Uid) };
        foreach (var masked in key.Masked)
        {
            if (masked.Variation == SiblingVariation.None)
            {
                continue;
            }
            // The string's text, without its quotes; of a token volume's name, the five letters.
            int start = request.ObjectStart + masked.Start + 1, length = masked.Length - 2;
            if (masked.Variation == SiblingVariation.TokenSuffix)
            {
                start += WorkloadKey.TokenVolumePrefix.Length;
                length -= WorkloadKey.TokenVolumePrefix.Length;
            }
            ranges.Add(new(start, length, masked.Variation));
        }
        // The request's uid comes before or after its object.
        ranges.Sort((a, b) => a.Start.CompareTo(b.Start));

        using var written = new PooledBufferWriter(16 * 1024);
        AdmissionResponseWriter.Write(written, request, body, answer);
        var response = written.WrittenSpan;
        int uidAt = response.IndexOf("\"uid\":\""u8);
        if (uidAt < 0 || body.Length + response.Length > MaxEntryBytes)
        {
            return;
        }
        uidAt += "\"uid\":\""u8.Length;
        if (!response[uidAt..].StartsWith(body.Slice(request.UidStart, request.UidLength)))
        {
            return;
        }
        Volatile.Write(ref slot, new Entry(body.ToArray(), [.. ranges], config, nodes, path.ToString(), request, podName, answer,
            response.ToArray(), uidAt, now));
    }
}
