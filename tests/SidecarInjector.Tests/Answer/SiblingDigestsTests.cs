using System.Text;
using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Decode;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// <see cref="SiblingDigests"/> on its own: a review is answered when its bytes equal a remembered
/// review's outside the values a sibling may change (compared by digest), with its own uid; never for
/// another difference, config, path or nodes; within its byte budget; an entry in use keeps its way.
/// </summary>
public sealed class SiblingDigestsTests
{
    private readonly ConfigSnapshot _config = SiblingReviewsTests.NewConfig();
    private readonly ManualTimestamps _clock = new();

    private static byte[] Of(string token, string image = "example.com/shop:1.0", string? uid = null) =>
        SiblingReviewsTests.Review(SiblingReviewsTests.Pod(token, image), uid: uid ?? Guid.NewGuid().ToString());

    /// <summary>The sibling answer of <paramref name="body"/> as the handler makes it once the memo answered it (here: a patch of our own).</summary>
    private SiblingAnswer Prepare(byte[] body, string patch = "[{\"op\":\"add\",\"path\":\"/metadata/labels/x\",\"value\":\"y\"}]")
    {
        using var key = new WorkloadKey();
        key.Begin(SiblingMasks.For(_config));
        var request = AdmissionReviewReader.Read(body, key);
        Assert.True(key.Finish(body.AsSpan(request.ObjectStart, request.ObjectLength)));
        var answer = new CachedAnswer(InjectionOutcome.Injected, null, null, StoredPatch.Whole(Encoding.UTF8.GetBytes(patch)), "test", key.PodName);
        using var response = new PooledBufferWriter();
        var sibling = SiblingAnswer.Prepare(body, request, key, key.PodName, answer, response, out _);
        Assert.NotNull(sibling);
        return sibling;
    }

    private void Remember(SiblingDigests digests, byte[] body, string path = "/inject", ConfigSnapshot? config = null) =>
        digests.Remember(body, path, config ?? _config, null, Prepare(body));

    private string? Answer(SiblingDigests digests, byte[] body, bool gzip = false, string path = "/inject", ConfigSnapshot? config = null)
    {
        using var output = new PooledBufferWriter();
        var sibling = digests.TryAnswer(body, path, config ?? _config, null, output, gzip, out bool gzipped);
        if (sibling is null)
        {
            Assert.Equal(0, output.WrittenCount);
            return null;
        }
        Assert.Equal(gzip, gzipped);
        return Reviews.Utf8(gzipped ? Gunzip.Read(output.WrittenSpan.ToArray()) : output.WrittenSpan);
    }

    [Fact]
    public void A_sibling_is_answered_with_its_own_uid_plain_or_gzipped()
    {
        var digests = new SiblingDigests(clock: _clock);
        Remember(digests, Of("aaaa1"));

        const string uid = "0f0e0d0c-0b0a-4909-8807-060504030201";
        foreach (bool gzip in (bool[])[false, true])
        {
            var answer = Reviews.Parse(Answer(digests, Of("zz9y8", uid: uid), gzip)!);
            Assert.Equal(uid, answer.Uid);
            Assert.True(answer.Allowed);
            Assert.Equal("[{\"op\":\"add\",\"path\":\"/metadata/labels/x\",\"value\":\"y\"}]", Encoding.UTF8.GetString(answer.Patch!));
        }
    }

    [Fact]
    public void Any_other_difference_of_the_same_length_is_not_answered()
    {
        var digests = new SiblingDigests(clock: _clock);
        Remember(digests, Of("aaaa1"));

        // One character of the image, the same length.
        var other = Of("bbbb2", image: "example.com/shop:1.1");
        Assert.Equal(Of("aaaa1").Length, other.Length);
        Assert.Null(Answer(digests, other));
        // A token volume the key's rule would not leave out (upper case), and a uid JSON would escape.
        Assert.Null(Answer(digests, Of("BBBB2")));
        Assert.Null(Answer(digests, Of("bbbb2", uid: "0f0e0d0c+0b0a-4909-8807-060504030201")));
        Assert.NotNull(Answer(digests, Of("bbbb2")));
    }

    [Fact]
    public void Another_config_or_path_is_not_answered_and_a_new_config_drops_the_old_entries()
    {
        var digests = new SiblingDigests(clock: _clock);
        Remember(digests, Of("aaaa1"));
        var other = SiblingReviewsTests.NewConfig();

        Assert.Null(Answer(digests, Of("bbbb2"), path: "/inject/net/west"));
        Assert.Null(Answer(digests, Of("bbbb2"), config: other));
        long before = digests.Bytes;
        Assert.True(before > 0);

        Remember(digests, Of("aaaa1", image: "example.com/cart:1.0"), config: other);
        Assert.Null(Answer(digests, Of("bbbb2")));
        Assert.NotNull(Answer(digests, Of("bbbb2", image: "example.com/cart:1.0"), config: other));
        Assert.True(digests.Bytes < before + before / 2);
    }

    [Fact]
    public void A_review_remembered_twice_takes_one_way()
    {
        var digests = new SiblingDigests(clock: _clock);
        Remember(digests, Of("aaaa1"));
        long once = digests.Bytes;
        // Two reviews of the workload read at once both remember it; siblings differ where the digest does not look.
        Remember(digests, Of("bbbb2"));
        Assert.Equal(once, digests.Bytes);
    }

    [Fact]
    public void Entries_stay_within_the_budget()
    {
        var one = new SiblingDigests(clock: _clock);
        Remember(one, Of("aaaa1"));
        long entry = one.Bytes;

        // Room for three; workloads of other lengths (other sets).
        var digests = new SiblingDigests(3 * entry + entry / 2, _clock);
        for (int i = 0; i < 10; i++)
        {
            Remember(digests, Of("aaaa1", image: "example.com/shop:1." + new string('0', i)));
            Assert.InRange(digests.Bytes, 0, 3 * entry + entry / 2);
        }
        Assert.NotNull(Answer(digests, Of("bbbb2", image: "example.com/shop:1.")));
        Assert.NotNull(Answer(digests, Of("bbbb2", image: "example.com/shop:1.00")));
        Assert.Null(Answer(digests, Of("bbbb2", image: "example.com/shop:1.000000")));
    }

    [Fact]
    public void A_full_set_keeps_entries_in_use_and_gives_an_idle_way_to_another_workload()
    {
        var digests = new SiblingDigests(clock: _clock);
        // Reviews of one length share a set: twice as many workloads as it has ways.
        const int ways = SiblingDigests.Ways;
        var images = Enumerable.Range(1, 2 * ways).Select(i => $"example.com/shop:{i:D2}.0").ToArray();
        foreach (var image in images)
        {
            Remember(digests, Of("aaaa1", image));
        }
        Assert.Equal(images[..ways], images.Where(image => Answer(digests, Of("bbbb2", image)) is not null));
        Assert.False(digests.Takes(Of("aaaa1", images[0]).Length, "/inject"));

        // All but one stay in use; a second later the idle one's way goes to the next workload that comes.
        _clock.Advance(TimeSpan.FromMilliseconds(600));
        foreach (var image in images[..(ways - 1)])
        {
            Assert.NotNull(Answer(digests, Of("cccc3", image)));
        }
        _clock.Advance(TimeSpan.FromMilliseconds(600));
        Assert.True(digests.Takes(Of("aaaa1", images[0]).Length, "/inject"));
        Remember(digests, Of("aaaa1", images[^1]));
        Assert.NotNull(Answer(digests, Of("dddd4", images[^1])));
        Assert.Null(Answer(digests, Of("dddd4", images[ways - 1])));
        foreach (var image in images[..(ways - 1)])
        {
            Assert.NotNull(Answer(digests, Of("eeee5", image)));
        }
    }
}
