using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// A sibling's answer in gzip form for a client that accepts it: .NET's zlib (which checks gzip's
/// CRC-32 and length) reads it back to the same AdmissionReview as the plain answer, uid and all.
/// Only answers kept in that form are compressed; every other answer stays plain JSON.
/// </summary>
public sealed class SiblingGzipAnswerTests
{
    private static (AdmissionHandler.Result Result, byte[] Bytes) Send(AdmissionHandler handler, byte[] review, bool acceptsGzip)
    {
        using var output = new PooledBufferWriter();
        var result = handler.Handle(review, "/inject", output, acceptsGzip);
        return (result, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Only_a_siblings_answer_is_compressed_and_it_reads_back_to_the_plain_answer_with_its_own_uid()
    {
        var config = SiblingReviewsTests.NewConfig();
        var handler = new AdmissionHandler(() => config, "default");
        // The first is rendered, the second confirms the render key, the third is the memo's: all plain.
        foreach (var suffix in (string[])["aaaa1", "bbbb2", "cccc3"])
        {
            var (result, bytes) = Send(handler, SiblingReviewsTests.Review(SiblingReviewsTests.Pod(suffix), Guid.NewGuid().ToString()), acceptsGzip: true);
            Assert.False(result.Gzipped);
            Assert.Equal((byte)'{', bytes[0]);
        }

        var uids = new[] { "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "ffffffff-ffff-4fff-8fff-ffffffffffff", "00000000-0000-4000-8000-000000000000" };
        foreach (var (uid, suffix) in uids.Zip((string[])["zq9m4", "r2d2x", "k8s00"]))
        {
            var pod = SiblingReviewsTests.Pod(suffix);
            var review = SiblingReviewsTests.Review(pod, uid);
            var (gzipped, compressed) = Send(handler, review, acceptsGzip: true);
            var (plainResult, plain) = Send(handler, review, acceptsGzip: false);

            Assert.True(gzipped.Gzipped);
            Assert.False(plainResult.Gzipped);
            Assert.Equal(AdmissionHandler.MemoPath, gzipped.Path);
            Assert.True(compressed.Length < plain.Length / 2, $"{compressed.Length} bytes gzipped, {plain.Length} plain");
            var read = Gunzip.Read(compressed);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(plain), JsonNode.Parse(read)), Reviews.Utf8(read));
            var answer = Reviews.Parse(Reviews.Utf8(read));
            Assert.Equal(uid, answer.Uid);
            PodValidation.ParseValidPod(Reviews.Patched(pod, answer).ToJsonString());
        }
        Assert.Equal(2 * uids.Length, handler.SiblingReviewHits);
    }

    [Fact]
    public void An_answer_whose_uid_is_not_the_first_member_of_its_response_has_no_gzip_form()
    {
        const string uid = "abc-123";
        var shapes = new[]
        {
            $"{{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{{\"allowed\":true,\"uid\":\"{uid}\"}}}}",
            $"{{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{{\"uid\":\"{uid}\"}}}}",
            $"{{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{{\"uid\":\"{uid}\",\"allowed\":true}},\"x\":1}}",
        };
        foreach (var shape in shapes)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(shape);
            int uidAt = shape.IndexOf(uid, StringComparison.Ordinal);
            Assert.Null(GzipAnswer.Create(bytes, uidAt, uid.Length));
        }

        var good = $"{{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{{\"uid\":\"{uid}\",\"allowed\":true}}}}";
        var gzip = GzipAnswer.Create(System.Text.Encoding.UTF8.GetBytes(good), good.IndexOf(uid, StringComparison.Ordinal), uid.Length);
        Assert.NotNull(gzip);
        var written = new byte[gzip.LengthFor(uid.Length)];
        gzip.Write("xyz-789"u8, written);
        Assert.Equal(
            "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"allowed\":true,\"uid\":\"xyz-789\"}}",
            Reviews.Utf8(Gunzip.Read(written)));
    }
}
