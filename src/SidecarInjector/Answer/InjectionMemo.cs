using SidecarInjector.Configuration;

namespace SidecarInjector.Answer;

/// <summary>
/// Answers for pods already seen. A ReplicaSet's pods reach the webhook byte-identical
/// (generateName, no name, no uid), so a scale-up of N pods costs one injection and N-1 lookups.
/// Keyed by the exact pod bytes, the request namespace, the path (cluster/network env) and the
/// config snapshot; a direct-mapped table, so a lookup allocates nothing and memory stays bounded.
/// </summary>
internal sealed class InjectionMemo
{
    private const int SlotCount = 256;
    private readonly Entry?[] _slots = new Entry?[SlotCount];

    /// <summary>One remembered answer; immutable once published.</summary>
    internal sealed class Entry(int hash, ConfigSnapshot config, string ns, string path, byte[] pod, CachedAnswer answer)
    {
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

    public void Remember(int hash, ConfigSnapshot config, string ns, ReadOnlySpan<char> path, ReadOnlySpan<byte> pod, CachedAnswer answer)
    {
        Volatile.Write(ref _slots[hash & (SlotCount - 1)], new Entry(hash, config, ns, path.ToString(), pod.ToArray(), answer));
    }
}
