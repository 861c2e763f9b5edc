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
internal sealed class SiblingReviews
{
    private const int SlotCount = 64;

    /// <summary>Largest review plus answer kept (a typical pod's review and answer are ~12 KB).</summary>
    public const int MaxEntryBytes = 48 * 1024;

    /// <summary>How long an entry must have answered nothing before another review may take its slot (milliseconds).</summary>
    public const long IdleBeforeReplaced = 1000;

    private readonly Entry?[] _slots = new Entry?[SlotCount];

    /// <summary>One remembered review and its answer; immutable once published but for <see cref="LastUsed"/>.</summary>
    internal sealed class Entry(byte[] body, int[] ranges, SiblingVariation[] variations, ConfigSnapshot config, NativeSidecarNodes? nodes,
        string path, AdmissionRequest request, string podName, CachedAnswer answer, byte[] response, int responseUidAt)
    {
        public byte[] Body { get; } = body;

        /// <summary>Start and length of each value that may differ, in pairs, in the order they come in the body.</summary>
        public int[] Ranges { get; } = ranges;

        /// <summary>How each of <see cref="Ranges"/> may differ.</summary>
        public SiblingVariation[] Variations { get; } = variations;
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

        /// <summary>When the entry was made or last answered (<see cref="Environment.TickCount64"/>, to ~16 ms).</summary>
        public long LastUsed = Environment.TickCount64;
    }

    private static int SlotOf(int length, ReadOnlySpan<char> path) =>
        (int)(((uint)length * 0x9E3779B1u ^ (uint)string.GetHashCode(path, StringComparison.Ordinal)) >> 26) & (SlotCount - 1);

    /// <summary>
    /// The remembered entry <paramref name="body"/> matches (see the class), with its answer written to
    /// <paramref name="output"/>; null, having written nothing, when there is none.
    /// </summary>
    public Entry? TryAnswer(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, ConfigSnapshot config, NativeSidecarNodes? nodes,
        IBufferWriter<byte> output)
    {
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
        long now = Environment.TickCount64;
        if (now - Volatile.Read(ref entry.LastUsed) > 16)
        {
            Volatile.Write(ref entry.LastUsed, now);
        }
        var response = entry.Response;
        var span = output.GetSpan(response.Length);
        response.CopyTo(span);
        var request = entry.Request;
        body.Slice(request.UidStart, request.UidLength).CopyTo(span[entry.ResponseUidAt..]);
        output.Advance(response.Length);
        return entry;
    }

    private static bool Matches(ReadOnlySpan<byte> body, Entry entry)
    {
        var remembered = entry.Body.AsSpan();
        var ranges = entry.Ranges;
        int from = 0;
        for (int i = 0; i < ranges.Length; i += 2)
        {
            int start = ranges[i], length = ranges[i + 1];
            if (!body[from..start].SequenceEqual(remembered[from..start]) || !Allowed(body.Slice(start, length), entry.Variations[i / 2]))
            {
                return false;
            }
            from = start + length;
        }
        return body[from..].SequenceEqual(remembered[from..]);
    }

    /// <summary>Whether <paramref name="value"/> (a string's text, quotes excluded) may stand where the remembered value stood.</summary>
    private static bool Allowed(ReadOnlySpan<byte> value, SiblingVariation variation)
    {
        foreach (var c in value)
        {
            bool allowed = variation switch
            {
                SiblingVariation.TokenSuffix => c is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9'),
                SiblingVariation.PlainText => c is >= 0x20 and < 0x7F and not (byte)'"' and not (byte)'\\',
                _ => false,
            };
            if (!allowed)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A uid JSON writes as it is: letters, digits and dashes (Kubernetes' uids are UUIDs).</summary>
    private static bool IsPlainUid(ReadOnlySpan<byte> uid)
    {
        foreach (var c in uid)
        {
            if (!(char.IsAsciiLetterOrDigit((char)c) || c == (byte)'-'))
            {
                return false;
            }
        }
        return uid.Length > 0;
    }

    /// <summary>
    /// Remembers <paramref name="body"/>, which the memo answered with <paramref name="answer"/>, its key
    /// read as <paramref name="key"/>: unless its slot holds an entry that answered a review within <see cref="IdleBeforeReplaced"/>.
    /// </summary>
    public void Remember(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, ConfigSnapshot config, NativeSidecarNodes? nodes,
        in AdmissionRequest request, WorkloadKey key, string podName, CachedAnswer answer)
    {
        if (body.Length > MaxEntryBytes || request.EscapedUid is not null || !IsPlainUid(body.Slice(request.UidStart, request.UidLength)))
        {
            return;
        }
        ref var slot = ref _slots[SlotOf(body.Length, path)];
        var current = Volatile.Read(ref slot);
        if (current is not null && Environment.TickCount64 - Volatile.Read(ref current.LastUsed) < IdleBeforeReplaced)
        {
            return;
        }
        var ranges = new List<int>(2 + 2 * key.MaskedCount);
        var variations = new List<SiblingVariation>(1 + key.MaskedCount);
        // The uid first or last: the request's fields come before or after its object.
        bool uidAdded = false;
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
            if (!uidAdded && request.UidStart < start)
            {
                ranges.Add(request.UidStart);
                ranges.Add(request.UidLength);
                variations.Add(SiblingVariation.PlainText);
                uidAdded = true;
            }
            ranges.Add(start);
            ranges.Add(length);
            variations.Add(masked.Variation);
        }
        if (!uidAdded)
        {
            ranges.Add(request.UidStart);
            ranges.Add(request.UidLength);
            variations.Add(SiblingVariation.PlainText);
        }

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
        Volatile.Write(ref slot, new Entry(body.ToArray(), [.. ranges], [.. variations], config, nodes, path.ToString(), request, podName, answer,
            response.ToArray(), uidAt));
    }
}
