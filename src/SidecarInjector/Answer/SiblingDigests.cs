using System.Buffers;
using System.Security.Cryptography;
using SidecarInjector.Configuration;
using SidecarInjector.Render;

namespace SidecarInjector.Answer;

/// <summary>
/// <see cref="SiblingReviews"/> for many workloads at once: a review is answered from its bytes when
/// they equal a remembered review's outside the values a sibling may change (<see cref="SiblingAnswer.Ranges"/>,
/// each holding bytes its variation allows), but the remembered review is kept as the SHA-256 of those
/// bytes rather than the bytes themselves. An entry then weighs its answer's gzip form and little else
/// (~4 KB against a review and two answers, ~17 KB), so a table of a few MiB holds the workloads of a
/// busy cluster, where <see cref="SiblingReviews"/>' 64 slots hold the rollouts of the moment.
/// <para>
/// Why a digest may stand for the bytes: the memo itself is keyed by a SHA-256 (<see cref="WorkloadKey"/>),
/// so an answer given for equal digests is given on the same grounds as the memo's. The digest covers
/// every byte outside the ranges, in order, and the ranges are the entry's own: two bodies of one length
/// with equal digests are equal outside them.
/// </para>
/// <para>
/// A lookup hashes the body (SHA-256 at ~1 GB/s: ~5 µs for a typical review, against ~30 µs to read it
/// with its key) for each shape of candidate of its length: entries live in sets of <see cref="Ways"/> by
/// body length and path. A way goes to another review only once its entry has answered nothing for
/// <see cref="IdleBeforeReplaced"/>; the whole table stays under its byte budget, and is dropped when the config changes.
/// </para>
/// </summary>
internal sealed class SiblingDigests(long budgetBytes = SiblingDigests.DefaultBudgetBytes, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>How long an entry must have answered nothing before another review may take its way (milliseconds).</summary>
    public const long IdleBeforeReplaced = SiblingReviews.IdleBeforeReplaced;

    /// <summary>All entries together: a few thousand workloads' answers in gzip form.</summary>
    public const long DefaultBudgetBytes = 8 * 1024 * 1024;

    /// <summary>
    /// Sets by body length: 512 of 16 ways, room for four times the entries the budget holds. Many ways
    /// because reviews of one length come in groups: a StatefulSet's pods (each its own workload, their
    /// names one ordinal apart) and a CronJob's Jobs. With 4 ways such groups filled their sets, and
    /// their workloads' reviews were read every time (still 4 % of the server's samples under 5,000
    /// distinct pods); a lookup compares the candidates of its length only, and candidates of one shape share one digest.
    /// </summary>
    private const int SetBits = 9;
    private const int SetCount = 1 << SetBits;
    internal const int Ways = 16;

    /// <summary>Largest review hashed: beyond it, reading the review is a small part of its cost anyway.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    private const int DigestBytes = 32;

    /// <summary>A default sidecar's entry, roughly (its answer's gzip form is ~3.3 KB).</summary>
    private const int TypicalEntryBytes = 4 * 1024;

    /// <summary>Made with the first store: a handler that never remembers anything costs nothing.</summary>
    private Entry?[]? _entries;
    private ConfigSnapshot? _config;
    private long _bytes;
    private readonly Lock _storeLock = new();

    [ThreadStatic]
    private static IncrementalHash? t_sha256;

    /// <summary>Bytes held by the entries now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>One remembered review, as its digest; immutable once published but for <see cref="LastUsed"/>.</summary>
    private sealed class Entry(int length, string path, ConfigSnapshot config, NativeSidecarNodes? nodes, byte[] digest, SiblingAnswer sibling,
        long lastUsed)
    {
        public int Length { get; } = length;
        public ConfigSnapshot Config { get; } = config;
        public string Path { get; } = path;
        public NativeSidecarNodes? Nodes { get; } = nodes;
        public byte[] Digest { get; } = digest;
        public SiblingAnswer Sibling { get; } = sibling;
        public long Size { get; } = 160 + DigestBytes + path.Length * 2L + sibling.Size;

        /// <summary>When the entry was made or last answered (<see cref="NowMilliseconds"/>, to ~16 ms).</summary>
        public long LastUsed = lastUsed;

        /// <summary>Whether the entry was remembered for a body of this length, on this path, under this config and nodes.</summary>
        public bool IsFor(int bodyLength, ReadOnlySpan<char> path, ConfigSnapshot config, NativeSidecarNodes? nodes) =>
            Length == bodyLength && ReferenceEquals(Config, config) && ReferenceEquals(Nodes, nodes) && path.SequenceEqual(Path);
    }

    private long NowMilliseconds() => SiblingAnswer.NowMilliseconds(_clock);

    private static int SetOf(int length, ReadOnlySpan<char> path) => (int)(SiblingAnswer.PlaceOf(length, path) >> (32 - SetBits));

    /// <summary>
    /// The sibling answer a remembered review gives <paramref name="body"/>, written to <paramref name="output"/>
    /// (in gzip form when <paramref name="acceptsGzip"/>, then <paramref name="gzipped"/>); null, having written
    /// nothing, when no remembered review matches.
    /// </summary>
    public SiblingAnswer? TryAnswer(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, ConfigSnapshot config, NativeSidecarNodes? nodes,
        IBufferWriter<byte> output, bool acceptsGzip, out bool gzipped)
    {
        gzipped = false;
        var entries = Volatile.Read(ref _entries);
        if (entries is null || body.Length > MaxBodyBytes)
        {
            return null;
        }
        Span<byte> digest = stackalloc byte[DigestBytes];
        VariableRange[]? hashedWith = null;
        int set = SetOf(body.Length, path) * Ways;
        for (int way = 0; way < Ways; way++)
        {
            var entry = Volatile.Read(ref entries[set + way]);
            if (entry is null || !entry.IsFor(body.Length, path, config, nodes))
            {
                continue;
            }
            var sibling = entry.Sibling;
            if (!sibling.AllowsValuesOf(body))
            {
                continue;
            }
            // Siblings of one length mostly differ in the same places: one digest serves them all.
            if (hashedWith is null || !hashedWith.AsSpan().SequenceEqual(sibling.Ranges))
            {
                DigestOf(body, sibling.Ranges, digest);
                hashedWith = sibling.Ranges;
            }
            if (!digest.SequenceEqual(entry.Digest))
            {
                continue;
            }
            long now = NowMilliseconds();
            if (now - Volatile.Read(ref entry.LastUsed) > 16)
            {
                Volatile.Write(ref entry.LastUsed, now);
            }
            sibling.Write(body, output, acceptsGzip, out gzipped);
            return sibling;
        }
        return null;
    }

    /// <summary>The SHA-256 of every byte of <paramref name="body"/> outside <paramref name="ranges"/> (sorted, not overlapping).</summary>
    private static void DigestOf(ReadOnlySpan<byte> body, VariableRange[] ranges, Span<byte> digest)
    {
        var sha256 = t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        int from = 0;
        foreach (var range in ranges)
        {
            sha256.AppendData(body[from..range.Start]);
            from = range.Start + range.Length;
        }
        sha256.AppendData(body[from..]);
        sha256.GetHashAndReset(digest);
    }

    /// <summary>
    /// Whether a review of this length would be remembered now: its set has a free way or one idle for
    /// <see cref="IdleBeforeReplaced"/>, and the budget has room. Checked before the answer is prepared.
    /// </summary>
    public bool Takes(int length, ReadOnlySpan<char> path)
    {
        if (length > MaxBodyBytes)
        {
            return false;
        }
        var entries = Volatile.Read(ref _entries);
        if (entries is null)
        {
            return true;
        }
        int target = Victim(entries, SetOf(length, path) * Ways, NowMilliseconds());
        // Replacing an entry frees about what the new one takes.
        return target >= 0 && (Volatile.Read(ref entries[target]) is not null || Bytes + TypicalEntryBytes <= budgetBytes);
    }

    /// <summary>
    /// Remembers <paramref name="body"/>, which the memo answered, with its <paramref name="sibling"/> answer,
    /// in a free way of its set or one idle for <see cref="IdleBeforeReplaced"/>: a set wanted by more
    /// workloads than it has ways would otherwise replace an entry review after review. Not when the budget
    /// has no room for it.
    /// </summary>
    public void Remember(ReadOnlySpan<byte> body, ReadOnlySpan<char> path, ConfigSnapshot config, NativeSidecarNodes? nodes, SiblingAnswer sibling)
    {
        if (body.Length > MaxBodyBytes)
        {
            return;
        }
        var digest = new byte[DigestBytes];
        DigestOf(body, sibling.Ranges, digest);
        long now = NowMilliseconds();
        var entry = new Entry(body.Length, path.ToString(), config, nodes, digest, sibling, now);
        lock (_storeLock)
        {
            var entries = _entries;
            if (entries is null || !ReferenceEquals(_config, config))
            {
                // Entries of another config never match again: they go at once, not one by one.
                entries = new Entry?[SetCount * Ways];
                Volatile.Write(ref _entries, entries);
                _config = config;
                Interlocked.Exchange(ref _bytes, 0);
            }
            int set = SetOf(body.Length, path) * Ways;
            if (Holds(entries, set, entry))
            {
                // Remembered meanwhile by another review of the workload.
                return;
            }
            int target = Victim(entries, set, now);
            if (target < 0)
            {
                return;
            }
            long freed = Volatile.Read(ref entries[target])?.Size ?? 0;
            if (_bytes - freed + entry.Size > budgetBytes)
            {
                return;
            }
            var previous = Interlocked.Exchange(ref entries[target], entry);
            Interlocked.Add(ref _bytes, entry.Size - (previous?.Size ?? 0));
        }
    }

    /// <summary>Whether the set holds an entry that answers what <paramref name="entry"/> would.</summary>
    private static bool Holds(Entry?[] entries, int set, Entry entry)
    {
        for (int way = 0; way < Ways; way++)
        {
            if (entries[set + way] is { } held && held.IsFor(entry.Length, entry.Path, entry.Config, entry.Nodes)
                && held.Digest.AsSpan().SequenceEqual(entry.Digest))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The way of the set to fill: a free one, else the one idle longest if it has been idle long enough; -1 for none.</summary>
    private static int Victim(Entry?[] entries, int set, long now)
    {
        int idlest = -1;
        long idlestUsed = long.MaxValue;
        for (int way = 0; way < Ways; way++)
        {
            var entry = Volatile.Read(ref entries[set + way]);
            if (entry is null)
            {
                return set + way;
            }
            long used = Volatile.Read(ref entry.LastUsed);
            if (used < idlestUsed)
            {
                idlest = set + way;
                idlestUsed = used;
            }
        }
        return now - idlestUsed < IdleBeforeReplaced ? -1 : idlest;
    }
}
