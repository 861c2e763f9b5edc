using System.Text.Json;

namespace SidecarInjector.Answer;

/// <summary>
/// The pieces the memo's patches are kept in, shared between answers (one table per config version). A
/// patch is cut along its JSON: each value of at most <see cref="PieceBytes"/> bytes, with the separators
/// and field name before it, is one piece; larger objects and lists are cut inside. Pods of different
/// workloads get sidecars that differ in a few values (the workload's name, its ports), so most pieces of
/// a workload's patch are already in the table, and its entry keeps only references and what is its own:
/// about a tenth of the bytes. Bounded: once the table holds <see cref="MaxBytes"/>, new pieces stay with
/// their patch. Not thread-safe: the memo's stores, which use it, are serialised.
/// </summary>
internal sealed class PatchPieces
{
    /// <summary>Values up to this size are not cut further (an env var, a port, a small mapping).</summary>
    internal const int PieceBytes = 256;

    /// <summary>The table's bound: the pieces of a few hundred different sidecars.</summary>
    internal const long MaxBytes = 512 * 1024;

    private const int MaxPieces = 8192;

    private readonly Dictionary<int, byte[]> _byHash = [];
    private readonly List<(int Start, int Length)> _cuts = [];
    private readonly List<byte[]> _segments = [];

    /// <summary>Bytes the table holds.</summary>
    public long Bytes { get; private set; }

    /// <summary>The patch in shared pieces; a patch that is not JSON (never ours) is kept whole.</summary>
    public StoredPatch Compact(StoredPatch patch)
    {
        var bytes = patch.Bytes(out var rented);
        try
        {
            _cuts.Clear();
            try
            {
                Cut(bytes, _cuts);
            }
            catch (JsonException)
            {
                return patch;
            }
            return Segments(bytes);
        }
        finally
        {
            StoredPatch.Return(rented);
        }
    }

    private StoredPatch Segments(ReadOnlySpan<byte> bytes)
    {
        _segments.Clear();
        long unshared = 0;
        int runStart = -1, runEnd = -1;
        foreach (var (start, length) in _cuts)
        {
            var shared = Shared(bytes.Slice(start, length));
            if (shared is null)
            {
                // Unshared pieces in a row become one segment.
                runStart = runStart < 0 ? start : runStart;
                runEnd = start + length;
                continue;
            }
            unshared += FlushRun(bytes, ref runStart, runEnd);
            _segments.Add(shared);
        }
        unshared += FlushRun(bytes, ref runStart, runEnd);
        return StoredPatch.OfSegments([.. _segments], unshared);
    }

    private long FlushRun(ReadOnlySpan<byte> bytes, ref int runStart, int runEnd)
    {
        if (runStart < 0)
        {
            return 0;
        }
        var run = bytes[runStart..runEnd].ToArray();
        _segments.Add(run);
        runStart = -1;
        return run.Length + StoredPatch.HeaderBytes;
    }

    /// <summary>The table's copy of <paramref name="piece"/>, added now if there is room; null when it is not shared.</summary>
    private byte[]? Shared(ReadOnlySpan<byte> piece)
    {
        var hash = new HashCode();
        hash.AddBytes(piece);
        int key = hash.ToHashCode();
        if (_byHash.TryGetValue(key, out var known))
        {
            // Another piece with this hash keeps its place: this one stays with its patch.
            return known.AsSpan().SequenceEqual(piece) ? known : null;
        }
        if (_byHash.Count >= MaxPieces || Bytes + piece.Length + StoredPatch.HeaderBytes > MaxBytes)
        {
            return null;
        }
        var copy = piece.ToArray();
        _byHash[key] = copy;
        Bytes += copy.Length + StoredPatch.HeaderBytes;
        return copy;
    }

    /// <summary>Cuts <paramref name="json"/> into pieces that cover it in order.</summary>
    internal static void Cut(ReadOnlySpan<byte> json, List<(int Start, int Length)> cuts)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 128 });
        if (!reader.Read())
        {
            throw new JsonException("empty patch");
        }
        int cursor = 0;
        CutValue(ref reader, ref cursor, cuts);
        if (cursor < json.Length)
        {
            cuts.Add((cursor, json.Length - cursor));
        }
    }

    /// <summary>
    /// The value the reader is on: one piece (with the bytes since <paramref name="cursor"/>: separators,
    /// a field name, closing brackets) when small, else its members cut one by one.
    /// </summary>
    private static void CutValue(ref Utf8JsonReader reader, ref int cursor, List<(int Start, int Length)> cuts)
    {
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            int start = (int)reader.TokenStartIndex;
            var probe = reader;
            probe.Skip();
            if (probe.BytesConsumed - start > PieceBytes)
            {
                while (reader.Read() && reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray))
                {
                    if (reader.TokenType == JsonTokenType.PropertyName)
                    {
                        reader.Read();
                    }
                    CutValue(ref reader, ref cursor, cuts);
                }
                return;
            }
            reader.Skip();
        }
        int end = (int)reader.BytesConsumed;
        cuts.Add((cursor, end - cursor));
        cursor = end;
    }
}
