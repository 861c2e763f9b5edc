using System.Buffers;

namespace SidecarInjector.Answer;

/// <summary>
/// An answer's JSON patch (its bytes, not yet base64): one segment as injection wrote it, or, once the memo
/// keeps it, the segments <see cref="PatchPieces"/> cut it into, most of them shared with the patches of
/// other workloads (a sidecar differs between workloads in a few values). Immutable.
/// </summary>
internal sealed class StoredPatch
{
    private readonly byte[][] _segments;

    private StoredPatch(byte[][] segments, int length, long ownBytes)
    {
        _segments = segments;
        Length = length;
        OwnBytes = ownBytes;
    }

    /// <summary>The patch's length in bytes.</summary>
    public int Length { get; }

    /// <summary>What this patch alone keeps alive (its unshared segments and the references), for the memo's budget.</summary>
    public long OwnBytes { get; }

    /// <summary>Object and array headers, roughly, on a 64-bit runtime.</summary>
    internal const int HeaderBytes = 24;

    public static StoredPatch Whole(ReadOnlySpan<byte> patch) => new([patch.ToArray()], patch.Length, patch.Length + 2L * HeaderBytes);

    internal static StoredPatch OfSegments(byte[][] segments, long unsharedBytes)
    {
        int length = 0;
        foreach (var segment in segments)
        {
            length += segment.Length;
        }
        return new(segments, length, unsharedBytes + segments.Length * 8L + 2L * HeaderBytes);
    }

    /// <summary>Writes the patch's bytes into <paramref name="destination"/> (at least <see cref="Length"/> long).</summary>
    public void CopyTo(Span<byte> destination)
    {
        int at = 0;
        foreach (var segment in _segments)
        {
            segment.CopyTo(destination[at..]);
            at += segment.Length;
        }
    }

    /// <summary>The bytes in one span: the patch's own when it is one segment, else a copy in <paramref name="rented"/> (to return to the shared pool).</summary>
    public ReadOnlySpan<byte> Bytes(out byte[]? rented)
    {
        if (_segments.Length == 1)
        {
            rented = null;
            return _segments[0];
        }
        rented = ArrayPool<byte>.Shared.Rent(Length);
        CopyTo(rented);
        return rented.AsSpan(0, Length);
    }

    /// <summary>True when both are null or hold the same bytes.</summary>
    public static bool SameBytes(StoredPatch? a, StoredPatch? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        if (a.Length != b.Length)
        {
            return false;
        }
        var left = a.Bytes(out var rentedLeft);
        var right = b.Bytes(out var rentedRight);
        bool same = left.SequenceEqual(right);
        Return(rentedLeft);
        Return(rentedRight);
        return same;
    }

    public static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
