using System.Buffers;
using SidecarInjector.Configuration;
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
/// A rollout takes a slot once the one before it has finished. More workloads than slots are the
/// business of <see cref="SiblingDigests"/>, which keeps a digest of the bytes in place of the bytes.
/// </para>
/// </summary>
internal sealed class SiblingReviews(TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    private const int SlotBits = 6;
    private const int SlotCount = 1 << SlotBits;

    /// <summary>Largest review plus answer kept (a typical pod's review and answer are ~12 KB).</summary>
    public const int MaxEntryBytes = 48 * 1024;

    /// <summary>How long an entry must have answered nothing before another review may take its slot (milliseconds).</summary>
    public const long IdleBeforeReplaced = 1000;

    private readonly Entry?[] _slots = new Entry?[SlotCount];

    /// <summary>One remembered review and its answer; immutable once published but for <see cref="LastUsed"/>.</summary>
    internal sealed class Entry(byte[] body, ConfigSnapshot config, NativeSidecarNodes? nodes, string path, SiblingAnswer sibling,
        byte[] response, int responseUidAt, long lastUsed)
    {
        public byte[] Body { get; } = body;
        public ConfigSnapshot Config { get; } = config;
        public NativeSidecarNodes? Nodes { get; } = nodes;
        public string Path { get; } = path;

        /// <summary>Where a sibling's body may differ, the request and the answer.</summary>
        public SiblingAnswer Sibling { get; } = sibling;

        /// <summary>The AdmissionReview written for <see cref="Body"/>; the uid sits at <see cref="ResponseUidAt"/>.</summary>
        public byte[] Response { get; } = response;
        public int ResponseUidAt { get; } = responseUidAt;

        /// <summary>When the entry was made or last answered (<see cref="NowMilliseconds"/>, to ~16 ms).</summary>
        public long LastUsed = lastUsed;
    }

    private long NowMilliseconds() => SiblingAnswer.NowMilliseconds(_clock);

    /// <summary>Bytes held by the entries now (reviews, answers and what they share), for /metrics.</summary>
    public long Bytes
    {
        get
        {
            long bytes = 0;
            for (int i = 0; i < _slots.Length; i++)
            {
                if (Volatile.Read(ref _slots[i]) is { } entry)
                {
                    bytes += entry.Body.Length + entry.Response.Length + entry.Sibling.Size;
                }
            }
            return bytes;
        }
    }

    private static int SlotOf(int length, ReadOnlySpan<char> path) => (int)(SiblingAnswer.PlaceOf(length, path) >> (32 - SlotBits));

    /// <summary>
    /// The remembered entry <paramref name="body"/> matches (see the class), with its answer written to
    /// <paramref name="output"/>, in gzip form when <paramref name="acceptsGzip"/> (then
    /// <paramref name="gzipped"/>); null, having written nothing, when there is none.
    /// </summary>
    public SiblingAnswer? TryAnswer(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, ConfigSnapshot config, NativeSidecarNodes? nodes,
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
        var sibling = entry.Sibling;
        if (acceptsGzip && sibling.TryWriteGzip(body, output))
        {
            gzipped = true;
            return sibling;
        }
        // The remembered review's answer, with this review's uid written over the other's.
        var response = entry.Response;
        var span = output.GetSpan(response.Length);
        response.CopyTo(span);
        body.Slice(sibling.Request.UidStart, sibling.Request.UidLength).CopyTo(span[entry.ResponseUidAt..]);
        output.Advance(response.Length);
        return sibling;
    }

    private static bool Matches(ReadOnlySpan<byte> body, Entry entry)
    {
        var remembered = entry.Body.AsSpan();
        int from = 0;
        foreach (var (start, length, _) in entry.Sibling.Ranges)
        {
            if (!body[from..start].SequenceEqual(remembered[from..start]))
            {
                return false;
            }
            from = start + length;
        }
        return body[from..].SequenceEqual(remembered[from..]) && entry.Sibling.AllowsValuesOf(body);
    }

    /// <summary>Whether a review of this length would be remembered now: its slot is free or idle (checked before the answer is prepared).</summary>
    public bool Takes(int length, ReadOnlySpan<char> path)
    {
        var current = Volatile.Read(ref _slots[SlotOf(length, path)]);
        return length <= MaxEntryBytes && (current is null || NowMilliseconds() - Volatile.Read(ref current.LastUsed) >= IdleBeforeReplaced);
    }

    /// <summary>
    /// Remembers <paramref name="body"/> with its sibling answer (<see cref="SiblingAnswer.Prepare"/>, whose
    /// <paramref name="response"/> has the uid's value at <paramref name="responseUidAt"/>): unless its slot
    /// holds an entry that answered a review within <see cref="IdleBeforeReplaced"/>.
    /// </summary>
    public void Remember(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, ConfigSnapshot config, NativeSidecarNodes? nodes,
        SiblingAnswer sibling, ReadOnlySpan<byte> response, int responseUidAt)
    {
        if (body.Length + response.Length > MaxEntryBytes)
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
        Volatile.Write(ref slot, new Entry(body.ToArray(), config, nodes, path.ToString(), sibling, response.ToArray(), responseUidAt, now));
    }
}
