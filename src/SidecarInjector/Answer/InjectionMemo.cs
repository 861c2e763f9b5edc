using SidecarInjector.Configuration;

namespace SidecarInjector.Answer;

/// <summary>
/// Answers for pods already seen: a review the apiserver sends again (a retry after a timeout, a
/// re-sent create) costs a lookup. A ReplicaSet's pods are alike (generateName, no name, no uid) but
/// not byte-identical in a real cluster: the ServiceAccount admission, which runs before webhooks,
/// names each pod's token volume kube-api-access-<i>random</i>. Keyed by the exact pod bytes, the request namespace, the path (cluster/network env) and the
/// config snapshot; a direct-mapped table, so a lookup allocates nothing. Memory is bounded in bytes,
/// not only in entries: a pod whose bytes and answer exceed <see cref="MaxEntryBytes"/> is not kept
/// (a 1 MiB pod is rarely created twice), and all entries together stay under <see cref="BudgetBytes"/>.
/// </summary>
internal sealed class InjectionMemo(long budgetBytes = InjectionMemo.DefaultBudgetBytes)
{
    private const int SlotCount = 256;

    /// <summary>Largest pod plus answer kept: realistic pods are a few KiB, Istio's largest corpus pod ~100 KiB.</summary>
    public const int MaxEntryBytes = 256 * 1024;

    /// <summary>All entries together, sized for a 128 MiB pod (a .NET heap of ~96 MiB).</summary>
    public const long DefaultBudgetBytes = 16 * 1024 * 1024;

    private readonly Entry?[] _slots = new Entry?[SlotCount];
    private long _bytes;

    /// <summary>
    /// Hashes of pods seen once, by other bits of the hash than the slots use. A pod is remembered
    /// the second time it comes: in a real cluster even a ReplicaSet's pods differ (the ServiceAccount
    /// admission names each pod's token volume kube-api-access-<i>random</i>), so a stream of distinct
    /// pods would otherwise replace an entry per review, entries that live just long enough to be
    /// promoted by the GC and then die in its oldest generation (peak RSS under distinct pods).
    /// </summary>
    private readonly int[] _seenOnce = new int[SeenOnceCount];
    private const int SeenOnceCount = 4096;

    /// <summary>Bytes held by the entries now (pod bytes, path and answer).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>One remembered answer; immutable once published.</summary>
    internal sealed class Entry(int hash, ConfigSnapshot config, string ns, string path, byte[] pod, CachedAnswer answer)
    {
        /// <summary>What this entry keeps alive, roughly: the pod's bytes, the path and the answer's patch and texts.</summary>
        public long Size { get; } = pod.Length + path.Length * 2L + (answer.QuotedPatch?.Length ?? 0)
            + (answer.Message?.Length ?? 0) * 2L + answer.Rule.Length * 2L + answer.Pod.Length * 2L + 256;

        public int Hash { get; } = hash;
        public ConfigSnapshot Config { get; } = config;
        public string Namespace { get; } = ns;
        public string Path { get; } = path;
        public byte[] Pod { get; } = pod;
        public CachedAnswer Answer { get; } = answer;
    }

    public static int HashOf(ReadOnlySpan<byte> pod, string ns, ReadOnlySpan<char> path)
    {
        var hash = new HashCode();
        hash.AddBytes(pod);
        hash.Add(string.GetHashCode(ns, StringComparison.Ordinal));
        hash.Add(string.GetHashCode(path, StringComparison.Ordinal));
        return hash.ToHashCode();
    }

    public CachedAnswer? Find(int hash, ConfigSnapshot config, string ns, ReadOnlySpan<char> path, ReadOnlySpan<byte> pod)
    {
        var entry = Volatile.Read(ref _slots[hash & (SlotCount - 1)]);
        if (entry is not null
            && entry.Hash == hash
            && ReferenceEquals(entry.Config, config)
            && entry.Namespace == ns
            && path.SequenceEqual(entry.Path)
            && pod.SequenceEqual(entry.Pod))
        {
            return entry.Answer;
        }
        return null;
    }

    /// <summary>Keeps the answer unless it is too large for an entry or for what is left of the budget.</summary>
    public void Remember(int hash, ConfigSnapshot config, string ns, ReadOnlySpan<char> path, ReadOnlySpan<byte> pod, CachedAnswer answer)
    {
        long estimate = pod.Length + (answer.QuotedPatch?.Length ?? 0);
        if (estimate > MaxEntryBytes)
        {
            return;
        }
        ref int seen = ref _seenOnce[(hash >>> 8) & (SeenOnceCount - 1)];
        if (Volatile.Read(ref seen) != hash)
        {
            Volatile.Write(ref seen, hash);
            return;
        }
        var entry = new Entry(hash, config, ns, path.ToString(), pod.ToArray(), answer);
        ref var slot = ref _slots[hash & (SlotCount - 1)];
        var previous = Volatile.Read(ref slot);
        // Over budget after replacing what the slot holds: keep what is there. (Racing writers may
        // overshoot by a few entries for a moment; each replacement settles the count.)
        if (Interlocked.Read(ref _bytes) - (previous?.Size ?? 0) + entry.Size > budgetBytes)
        {
            return;
        }
        previous = Interlocked.Exchange(ref slot, entry);
        Interlocked.Add(ref _bytes, entry.Size - (previous?.Size ?? 0));
    }
}
