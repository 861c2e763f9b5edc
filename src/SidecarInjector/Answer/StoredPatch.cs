using System.Buffers;
using SidecarInjector.Json;

namespace SidecarInjector.Answer;

/// <summary>
/// An answer's JSON patch (its bytes, not yet base64): one segment as injection wrote it, or, once the memo
/// keeps it, the segments <see cref="PatchPieces"/> cut it into, most of them shared with the patches of
/// other workloads (a sidecar differs between workloads in a few values). Immutable, but for a borrowed
/// patch (<see cref="Borrow"/>), whose bytes are valid until it is released.
/// </summary>
internal sealed class StoredPatch
{
    private readonly byte[][] _segments;

    /// <summary>The rented buffer of a borrowed patch, until it goes back to the shared pool.</summary>
    private byte[]? _rented;

    private StoredPatch(byte[][] segments, int length, long ownBytes, byte[]? rented = null)
    {
        _segments = segments;
        Length = length;
        OwnBytes = ownBytes;
        _rented = rented;
    }

    /// <summary>The patch's length in bytes.</summary>
    public int Length { get; }

    /// <summary>What this patch alone keeps alive (its unshared segments and the references), for the memo's budget.</summary>
    public long OwnBytes { get; }

    /// <summary>Object and array headers, roughly, on a 64-bit runtime.</summary>
    internal const int HeaderBytes = 24;

    public static StoredPatch Whole(ReadOnlySpan<byte> patch) => new([patch.ToArray()], patch.Length, patch.Length + 2L * HeaderBytes);

    /// <summary>
    /// The patch written in <paramref name="written"/>, in its rented buffer rather than a copy: most answers
    /// are sent once and never kept, and a first pod's patch is several KB. Valid until <see cref="Release"/>;
    /// what keeps a patch takes <see cref="Owned"/>.
    /// </summary>
    public static StoredPatch Borrow(PooledBufferWriter written)
    {
        var buffer = written.Detach(out int length);
        return new([buffer], length, length + 2L * HeaderBytes, buffer);
    }

    /// <summary>Whether the bytes are borrowed (see <see cref="Borrow"/>).</summary>
    public bool IsBorrowed => Volatile.Read(ref _rented) is not null;

    /// <summary>This patch, or a copy of it that owns its bytes when they are borrowed.</summary>
    public StoredPatch Owned() => IsBorrowed ? Whole(Bytes(out _)) : this;

    /// <summary>Returns a borrowed patch's buffer to the shared pool (once); its bytes must not be read afterwards.</summary>
    public void Release()
    {
        // Read first: the memo's answers, shared by every thread, are never borrowed and never written to.
        if (Volatile.Read(ref _rented) is not null && Interlocked.Exchange(ref _rented, null) is { } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

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
        if (_segments.Length == 1)
        {
            _segments[0].AsSpan(0, Length).CopyTo(destination);
            return;
        }
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
            return _segments[0].AsSpan(0, Length);
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
