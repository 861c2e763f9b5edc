using System.Collections.Concurrent;
using System.Text;

namespace SidecarInjector.Decode;

/// <summary>
/// Namespace names as interned strings: every review names one, and a cluster has few, so each
/// is decoded once. Bounded: past the cap, names are simply allocated.
/// </summary>
internal static class NamespaceNames
{
    private const int Capacity = 10_000;
    private static readonly ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> Lookup =
        Names.GetAlternateLookup<ReadOnlySpan<char>>();

    public static string Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return "";
        }
        // Kubernetes names are at most 253 characters; anything longer is not worth a cache slot.
        if (utf8.Length > 253)
        {
            return Encoding.UTF8.GetString(utf8);
        }
        Span<char> chars = stackalloc char[256];
        int count = Encoding.UTF8.GetChars(utf8, chars);
        var name = chars[..count];
        if (Lookup.TryGetValue(name, out var interned))
        {
            return interned;
        }
        var text = name.ToString();
        return Names.Count < Capacity ? Names.GetOrAdd(text, text) : text;
    }
}
