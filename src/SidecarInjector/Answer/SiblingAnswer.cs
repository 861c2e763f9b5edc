using System.Buffers;
using SidecarInjector.Decode;
using SidecarInjector.Json;

namespace SidecarInjector.Answer;

/// <summary>A string's text (quotes excluded) in a review that a sibling's review may spell otherwise, and how.</summary>
internal readonly record struct VariableRange(int Start, int Length, SiblingVariation Variation);

/// <summary>
/// What a review the memo answered gives its siblings: where their bytes may differ from its own (its
/// request's uid and the values its <see cref="WorkloadKey"/> leaves out and nothing reads), the
/// request read from its bytes (every offset holds for a sibling's), and the answer, also in gzip form.
/// Made once per remembered review and shared by <see cref="SiblingReviews"/> (which keeps the bytes
/// and compares them) and <see cref="SiblingDigests"/> (which keeps their digest). Immutable.
/// </summary>
internal sealed class SiblingAnswer
{
    private SiblingAnswer(VariableRange[] ranges, AdmissionRequest request, string podName, CachedAnswer answer, GzipAnswer? gzip)
    {
        Ranges = ranges;
        Request = request;
        PodName = podName;
        Answer = answer;
        Gzip = gzip;
    }

    /// <summary>The values that may differ, in the order they come in the body.</summary>
    public VariableRange[] Ranges { get; }

    /// <summary>The request as read from the remembered body: every offset holds for a matching body.</summary>
    public AdmissionRequest Request { get; }
    public string PodName { get; }
    public CachedAnswer Answer { get; }

    /// <summary>The answer in gzip form, its uid last, for clients that accept it (null for a shape it cannot take).</summary>
    public GzipAnswer? Gzip { get; }

    /// <summary>
    /// The sibling answer of <paramref name="body"/> (which the memo answered with <paramref name="answer"/>,
    /// its key read as <paramref name="key"/>), its AdmissionReview written to <paramref name="response"/>
    /// with the uid's value at <paramref name="responseUidAt"/>; null when its uid is not one an answer can
    /// carry as it is (letters, digits, dashes).
    /// </summary>
    public static SiblingAnswer? Prepare(ReadOnlySpan<byte> body, in AdmissionRequest request, WorkloadKey key, string podName,
        CachedAnswer answer, PooledBufferWriter response, out int responseUidAt)
    {
        responseUidAt = -1;
        var uid = body.Slice(request.UidStart, request.UidLength);
        if (request.EscapedUid is not null || !Allowed(uid, SiblingVariation.Uid))
        {
            return null;
        }
        AdmissionResponseWriter.Write(response, request, body, answer);
        var written = response.WrittenSpan;
        int uidAt = written.IndexOf("\"uid\":\""u8);
        if (uidAt < 0 || !written[(uidAt + "\"uid\":\""u8.Length)..].StartsWith(uid))
        {
            return null;
        }
        responseUidAt = uidAt + "\"uid\":\""u8.Length;
        return new SiblingAnswer(RangesOf(request, key), request, podName, answer, GzipAnswer.Create(written, responseUidAt, uid.Length));
    }

    private static VariableRange[] RangesOf(in AdmissionRequest request, WorkloadKey key)
    {
        var ranges = new List<VariableRange>(1 + key.MaskedCount) { new(request.UidStart, request.UidLength, SiblingVariation.Uid) };
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
            ranges.Add(new(start, length, masked.Variation));
        }
        // The request's uid comes before or after its object.
        ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        return [.. ranges];
    }

    /// <summary>Whether every value of <paramref name="body"/> (as long as the remembered one) in <see cref="Ranges"/> is one its variation allows.</summary>
    public bool AllowsValuesOf(ReadOnlySpan<byte> body)
    {
        foreach (var (start, length, variation) in Ranges)
        {
            if (!Allowed(body.Slice(start, length), variation))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Writes the answer for <paramref name="body"/>, a matching sibling's review: in gzip form when the
    /// client <paramref name="acceptsGzip"/> and there is one (then <paramref name="gzipped"/>), else as
    /// <see cref="AdmissionResponseWriter"/> writes it, with the sibling's uid.
    /// </summary>
    public void Write(ReadOnlySpan<byte> body, IBufferWriter<byte> output, bool acceptsGzip, out bool gzipped)
    {
        if (acceptsGzip && TryWriteGzip(body, output))
        {
            gzipped = true;
            return;
        }
        gzipped = false;
        AdmissionResponseWriter.Write(output, Request, body, Answer);
    }

    /// <summary>Writes the gzip form with the uid of <paramref name="body"/>; false, having written nothing, when there is none.</summary>
    public bool TryWriteGzip(ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        if (Gzip is not { } gzip)
        {
            return false;
        }
        var uid = body.Slice(Request.UidStart, Request.UidLength);
        int length = gzip.LengthFor(uid.Length);
        gzip.Write(uid, output.GetSpan(length));
        output.Advance(length);
        return true;
    }

    /// <summary>
    /// The body's length and the path mixed into one hash, the top bits well spread: what a sibling's review
    /// shares with the remembered one before any byte is compared, so both tables place entries by it.
    /// </summary>
    public static uint PlaceOf(int length, ReadOnlySpan<char> path) =>
        ((uint)length ^ (uint)string.GetHashCode(path, StringComparison.Ordinal)) * 0x9E3779B1u;

    /// <summary>The clock in milliseconds, as both tables keep an entry's last use.</summary>
    public static long NowMilliseconds(TimeProvider clock) => clock.GetTimestamp() / Math.Max(1, clock.TimestampFrequency / 1000);

    /// <summary>What this keeps alive beyond what the memo's answer does, roughly.</summary>
    public long Size => 256 + Ranges.Length * 12L + (Gzip?.CompressedLength ?? 0) + PodName.Length * 2L;

    private static readonly SearchValues<byte> TokenSuffixBytes = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789"u8);
    private static readonly SearchValues<byte> UidBytes = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"u8);
    private static readonly SearchValues<byte> PlainTextBytes = SearchValues.Create(PrintableAsciiExceptQuoteAndBackslash());

    private static byte[] PrintableAsciiExceptQuoteAndBackslash()
    {
        var bytes = new List<byte>();
        for (int c = 0x20; c < 0x7F; c++)
        {
            if (c is not '"' and not '\\')
            {
                bytes.Add((byte)c);
            }
        }
        return [.. bytes];
    }

    /// <summary>
    /// Whether <paramref name="value"/> (a string's text, quotes excluded) may stand where the remembered
    /// value stood: every byte one the variation allows (a vectorised search for any other).
    /// </summary>
    private static bool Allowed(ReadOnlySpan<byte> value, SiblingVariation variation) => variation switch
    {
        SiblingVariation.TokenSuffix => !value.ContainsAnyExcept(TokenSuffixBytes),
        SiblingVariation.PlainText => !value.ContainsAnyExcept(PlainTextBytes),
        SiblingVariation.Uid => !value.ContainsAnyExcept(UidBytes),
        _ => false,
    };
}
