using System.Buffers.Binary;
using System.IO.Compression;

namespace SidecarInjector.Answer;

/// <summary>
/// A remembered answer in gzip form, for clients that ask for it: the apiserver's Go client sends
/// <c>Accept-Encoding: gzip</c> to webhooks, and a default answer of 8.8 KB compresses to 3.2 KB,
/// which is that much less to encrypt, copy and send for every sibling's review.
/// <para>
/// The uid differs from review to review, so it is moved to the end of the response object (member
/// order means nothing in JSON). Everything before it is compressed once and ends on a sync flush,
/// byte-aligned; each review then appends a stored (uncompressed) final block with its uid and the
/// closing <c>"}}</c>, and the trailer with the CRC-32 continued from the constant part's state.
/// No deflate back-reference can point into the uid: it comes after every compressed byte.
/// </para>
/// </summary>
internal sealed class GzipAnswer
{
    private static ReadOnlySpan<byte> UidMember => ",\"uid\":\""u8;
    private static ReadOnlySpan<byte> Closing => "\"}}"u8;

    /// <summary>gzip's header: deflate, no flags, no time, unknown OS.</summary>
    private static ReadOnlySpan<byte> Header => [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF];

    /// <summary>A final stored block's header byte (BFINAL = 1, BTYPE = 00), then LEN and NLEN.</summary>
    private const int StoredBlockHeaderBytes = 5;

    /// <summary>CRC-32 and ISIZE.</summary>
    private const int TrailerBytes = 8;

    private readonly byte[] _compressed;
    private readonly uint _crcState;
    private readonly int _constantLength;

    private GzipAnswer(byte[] compressed, uint crcState, int constantLength)
    {
        _compressed = compressed;
        _crcState = crcState;
        _constantLength = constantLength;
    }

    /// <summary>
    /// The gzip form of <paramref name="response"/>, whose uid (letters, digits, dashes) is the value
    /// at <paramref name="uidAt"/>, the first member of its response object as
    /// <see cref="AdmissionResponseWriter"/> writes it; null for any other shape.
    /// </summary>
    public static GzipAnswer? Create(ReadOnlySpan<byte> response, int uidAt, int uidLength)
    {
        int memberAt = uidAt - "\"uid\":\""u8.Length;
        int afterUid = uidAt + uidLength;
        if (memberAt < 1 || response[memberAt - 1] != (byte)'{' || !response[memberAt..uidAt].SequenceEqual("\"uid\":\""u8)
            || !response[afterUid..].StartsWith("\","u8) || !response.EndsWith("}}"u8) || uidLength + Closing.Length > ushort.MaxValue)
        {
            return null;
        }
        // {"apiVersion":…,"response":{  "allowed":…,"patch":"…"  ,"uid":"   (uid "}} per review)
        var head = response[..memberAt];
        var rest = response[(afterUid + 2)..^2];
        var constant = new byte[head.Length + rest.Length + UidMember.Length];
        head.CopyTo(constant);
        rest.CopyTo(constant.AsSpan(head.Length));
        UidMember.CopyTo(constant.AsSpan(head.Length + rest.Length));

        using var compressed = new MemoryStream(constant.Length / 2);
        compressed.Write(Header);
        using (var deflate = new DeflateStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(constant);
            // A sync flush: every byte so far decodable, and the stream byte-aligned for a stored block.
            deflate.Flush();
            // Disposing would write a final block; the bytes are taken before it.
            return new GzipAnswer(compressed.ToArray(), Crc32.Append(Crc32.Start, constant), constant.Length);
        }
    }

    /// <summary>The bytes kept: the compressed constant part.</summary>
    public int CompressedLength => _compressed.Length;

    /// <summary>The gzip answer's length for a uid of <paramref name="uidLength"/> bytes.</summary>
    public int LengthFor(int uidLength) => _compressed.Length + StoredBlockHeaderBytes + uidLength + Closing.Length + TrailerBytes;

    /// <summary>Writes the answer for <paramref name="uid"/> into <paramref name="destination"/> (<see cref="LengthFor"/> bytes).</summary>
    public void Write(ReadOnlySpan<byte> uid, Span<byte> destination)
    {
        _compressed.CopyTo(destination);
        var at = destination[_compressed.Length..];
        int stored = uid.Length + Closing.Length;
        at[0] = 0x01;
        BinaryPrimitives.WriteUInt16LittleEndian(at[1..], (ushort)stored);
        BinaryPrimitives.WriteUInt16LittleEndian(at[3..], (ushort)~stored);
        at = at[StoredBlockHeaderBytes..];
        uid.CopyTo(at);
        Closing.CopyTo(at[uid.Length..]);
        uint crc = Crc32.Finish(Crc32.Append(Crc32.Append(_crcState, uid), Closing));
        at = at[stored..];
        BinaryPrimitives.WriteUInt32LittleEndian(at, crc);
        BinaryPrimitives.WriteUInt32LittleEndian(at[4..], (uint)(_constantLength + stored));
    }
}
