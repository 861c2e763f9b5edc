using SidecarInjector.Configuration;
using SidecarInjector.Render;

namespace SidecarInjector.Answer;

/// <summary>
/// Answers for pods already seen, and for their siblings: keyed by the pod's <see cref="WorkloadKey"/> (its SHA-256)
/// (its bytes without what pods of one workload differ in and injection never reads: names, uids,
/// the token volume kube-api-access-<i>random</i> that the ServiceAccount admission gives each pod),
/// the request namespace, the path (cluster/network env) and the config snapshot. A rollout's second
/// pod onwards, a Job's next run, a retried review cost a lookup. A direct-mapped table, so a lookup
/// allocates nothing. Memory is bounded in bytes, not only in entries: a key whose bytes and answer
/// exceed <see cref="MaxEntryBytes"/> is not kept (a 1 MiB pod is rarely created twice), and all
/// entries together stay under <see cref="BudgetBytes"/>. A kept patch is held in pieces shared with the
/// other kept patches (<see cref="PatchPieces"/>, bounded on its own): an entry then weighs about a tenth
/// of its patch.
/// </summary>
internal sealed class InjectionMemo(long budgetBytes = InjectionMemo.DefaultBudgetBytes)
{
    private const int SlotCount = 1 << SlotBits;

    /// <summary>Largest pod plus answer kept: realistic pods are a few KiB, Istio's largest corpus pod ~100 KiB.</summary>
    public const int MaxEntryBytes = 256 * 1024;

    /// <summary>All entries together, sized for a 128 MiB pod (a .NET heap of ~96 MiB).</summary>
    public const long DefaultBudgetBytes = 16 * 1024 * 1024;

    /// <summary>Made with the first store (128 KB with <see cref="_seenOnce"/>): a handler that never keeps anything costs nothing.</summary>
    private Entry?[]? _slots;
    private long _bytes;
    private readonly Lock _storeLock = new();
    private int _hand;

    /// <summary>The pieces the kept answers' patches share (<see cref="PatchPieces"/>), for the config they were made with.</summary>
    private PatchPieces _pieces = new();
    private ConfigSnapshot? _piecesConfig;

    /// <summary>Slots one store may sweep for room (two full turns of the table).</summary>
    private const int MaxEvictionSteps = 2 * SlotCount;
    private long _hits;

    /// <summary>Reviews answered from the memo so far.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>
    /// Hashes of keys seen once, by a mix of the hash of its own. A key is remembered
    /// the second time it comes: a stream of one-off pods (bare pods, StatefulSet pods, whose workload
    /// is named after them) would otherwise replace an entry per review, entries that live just long
    /// enough to be promoted by the GC and then die in its oldest generation (peak RSS).
    /// </summary>
    private int[]? _seenOnce;
    private const int SeenOnceBits = 14;

    /// <summary>Room for the keys of several load-test cycles: a key's note must outlive the cycle between its first and second review.</summary>
    private const int SeenOnceCount = 1 << SeenOnceBits;

    /// <summary>Bytes held by the entries now (keys, paths and answers).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>One remembered answer; immutable once published.</summary>
    internal sealed class Entry(int hash, ConfigSnapshot config, NativeSidecarNodes? nodes, string ns, string path, byte[] key, CachedAnswer answer)
    {
        /// <summary>What this entry keeps alive, roughly: the key, the path and the answer's patch and texts.</summary>
        public long Size { get; } = key.Length + path.Length * 2L + (answer.Patch?.OwnBytes ?? 0)
            + (answer.Message?.Length ?? 0) * 2L + answer.Rule.Length * 2L + answer.Pod.Length * 2L + 256;

        public int Hash { get; } = hash;
        public ConfigSnapshot Config { get; } = config;

        /// <summary>The nodes the answer was made for (native sidecars under "auto"); a change of them makes a new object.</summary>
        public NativeSidecarNodes? Nodes { get; } = nodes;
        public string Namespace { get; } = ns;
        public string Path { get; } = path;
        public byte[] Key { get; } = key;
        public CachedAnswer Answer { get; } = answer;

        /// <summary>Set by a lookup, cleared by the clock hand: entries in use survive a sweep.</summary>
        public volatile bool Used;
    }

    public static int HashOf(ReadOnlySpan<byte> key, string ns, ReadOnlySpan<char> path)
    {
        var hash = new HashCode();
        hash.AddBytes(key);
        hash.Add(string.GetHashCode(ns, StringComparison.Ordinal));
        hash.Add(string.GetHashCode(path, StringComparison.Ordinal));
        return hash.ToHashCode();
    }

    /// <summary>
    /// How many slots a hash may live in. With two, a thousand workloads in 8,192 slots left a few percent
    /// whose both slots were taken, and pairs of them evicted each other review after review; with four, a
    /// key finds a free slot unless the table is nearly full.
    /// </summary>
    private const int Choices = 4;

    /// <summary>The <paramref name="choice"/>th slot a hash may live in (independent bits of it, by an odd multiplier each).</summary>
    private static int SlotOf(int hash, int choice) => (int)(((uint)hash * ChoiceMultipliers[choice]) >> (32 - SlotBits));

    private const int SlotBits = 13;
    private static ReadOnlySpan<uint> ChoiceMultipliers => [0x9E3779B1u, 0x85EBCA77u, 0xC2B2AE3Du, 0x27D4EB2Fu];

    public CachedAnswer? Find(int hash, ConfigSnapshot config, NativeSidecarNodes? nodes, string ns, ReadOnlySpan<char> path, ReadOnlySpan<byte> key)
    {
        var slots = Volatile.Read(ref _slots);
        if (slots is null)
        {
            return null;
        }
        Entry? entry = null;
        for (int choice = 0; choice < Choices && entry is null; choice++)
        {
            entry = Matching(Volatile.Read(ref slots[SlotOf(hash, choice)]), hash, config, nodes, ns, path, key);
        }
        if (entry is null)
        {
            return null;
        }
        Interlocked.Increment(ref _hits);
        if (!entry.Used)
        {
            entry.Used = true;
        }
        return entry.Answer;
    }

    private static Entry? Matching(Entry? candidate, int hash, ConfigSnapshot config, NativeSidecarNodes? nodes, string ns,
        ReadOnlySpan<char> path, ReadOnlySpan<byte> key) =>
            candidate is not null
            && candidate.Hash == hash
            && ReferenceEquals(candidate.Config, config)
            && ReferenceEquals(candidate.Nodes, nodes)
            && candidate.Namespace == ns
            && path.SequenceEqual(candidate.Path)
            && key.SequenceEqual(candidate.Key) ? candidate : null;

    /// <summary>
    /// True when an answer of this size would be kept and a key of this hash came once before (the
    /// doorkeeper: a key seen once is only noted). The caller then checks the answer and calls
    /// <see cref="Remember"/>.
    /// </summary>
    public bool Admits(int hash, int keyLength, CachedAnswer answer)
    {
        long estimate = keyLength + (answer.Patch?.Length ?? 0);
        if (estimate > MaxEntryBytes)
        {
            return false;
        }
        var seenOnce = Volatile.Read(ref _seenOnce) ?? Interlocked.CompareExchange(ref _seenOnce, new int[SeenOnceCount], null) ?? _seenOnce!;
        ref int seen = ref seenOnce[(int)((uint)hash * 0x165667B1u >> (32 - SeenOnceBits))];
        if (Volatile.Read(ref seen) != hash)
        {
            Volatile.Write(ref seen, hash);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Keeps the answer. When the budget is full, entries not used since the clock hand last passed
    /// them make room (CLOCK, a cheap LRU): a cluster's new rollouts get memo entries in place of
    /// workloads that stopped creating pods. Stores are rare (once per key) and serialised; lookups
    /// never wait for them.
    /// </summary>
    public void Remember(int hash, ConfigSnapshot config, NativeSidecarNodes? nodes, string ns, ReadOnlySpan<char> path, ReadOnlySpan<byte> key,
        CachedAnswer answer)
    {
        lock (_storeLock)
        {
            if (!ReferenceEquals(_piecesConfig, config))
            {
                // A new config renders other sidecars: its answers share pieces among themselves.
                _pieces = new PatchPieces();
                _piecesConfig = config;
            }
            // Pieces are copies; a patch kept whole is copied out of the buffer it may have borrowed.
            var kept = answer.Patch is { } patch ? answer.WithPatch(_pieces.Compact(patch).Owned()) : answer;
            var entry = new Entry(hash, config, nodes, ns, path.ToString(), key.ToArray(), kept);
            var slots = _slots;
            if (slots is null)
            {
                slots = new Entry?[SlotCount];
                Volatile.Write(ref _slots, slots);
            }
            int target = Target(slots, hash);
            long freed = Volatile.Read(ref slots[target])?.Size ?? 0;
            if (_bytes - freed + entry.Size > budgetBytes && !MakeRoom(slots, _bytes - freed + entry.Size - budgetBytes, target))
            {
                return;
            }
            var previous = Interlocked.Exchange(ref slots[target], entry);
            Interlocked.Add(ref _bytes, entry.Size - (previous?.Size ?? 0));
        }
    }

    /// <summary>
    /// The slot a hash goes to: the one holding it, else a free one, else one not used since the clock
    /// hand passed, else the last choice (of the four, the one least likely to be another key's first).
    /// </summary>
    private static int Target(Entry?[] slots, int hash)
    {
        int free = -1, unused = -1;
        for (int choice = 0; choice < Choices; choice++)
        {
            int slot = SlotOf(hash, choice);
            var entry = Volatile.Read(ref slots[slot]);
            if (entry is null)
            {
                free = free < 0 ? slot : free;
            }
            else if (entry.Hash == hash)
            {
                return slot;
            }
            else if (!entry.Used && unused < 0)
            {
                unused = slot;
            }
        }
        return free >= 0 ? free : unused >= 0 ? unused : SlotOf(hash, Choices - 1);
    }

    /// <summary>Evicts unused entries from the clock hand on until <paramref name="needed"/> bytes are free; false if a sweep of bounded length cannot.</summary>
    private bool MakeRoom(Entry?[] slots, long needed, int keep)
    {
        for (int step = 0; step < MaxEvictionSteps && needed > 0; step++)
        {
            _hand = (_hand + 1) & (SlotCount - 1);
            if (_hand == keep || Volatile.Read(ref slots[_hand]) is not { } entry)
            {
                continue;
            }
            if (entry.Used)
            {
                entry.Used = false;
                continue;
            }
            Volatile.Write(ref slots[_hand], null);
            Interlocked.Add(ref _bytes, -entry.Size);
            needed -= entry.Size;
        }
        return needed <= 0;
    }
}
