using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Decode;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// Who keeps a slot of <see cref="SiblingReviews"/>: an entry answering reviews keeps it; another workload's
/// review takes it once the entry has answered nothing for <see cref="SiblingReviews.IdleBeforeReplaced"/>.
/// </summary>
public sealed class SiblingReviewSlotTests
{
    private readonly ConfigSnapshot _config = SiblingReviewsTests.NewConfig();
    private readonly ManualTimestamps _clock = new();

    /// <summary>Remembers the review as if the memo had answered it (the answer itself does not matter here).</summary>
    private void Remember(SiblingReviews reviews, byte[] body)
    {
        using var key = new WorkloadKey();
        key.Begin(SiblingMasks.For(_config));
        var request = AdmissionReviewReader.Read(body, key);
        Assert.True(key.Finish(body.AsSpan(request.ObjectStart, request.ObjectLength)));
        using var response = new PooledBufferWriter();
        var sibling = SiblingAnswer.Prepare(body, request, key, key.PodName,
            new CachedAnswer(InjectionOutcome.Skipped, null, null, null, "test", key.PodName), response, out int uidAt);
        Assert.NotNull(sibling);
        reviews.Remember(body, "/inject", _config, null, sibling, response.WrittenSpan, uidAt);
    }

    private bool Answers(SiblingReviews reviews, byte[] body)
    {
        using var output = new PooledBufferWriter();
        return reviews.TryAnswer(body, "/inject", _config, null, output, acceptsGzip: false, out _) is not null;
    }

    private static byte[] Of(string workloadImage, string token) =>
        SiblingReviewsTests.Review(SiblingReviewsTests.Pod(token, workloadImage), uid: Guid.NewGuid().ToString());

    [Fact]
    public void An_entry_in_use_keeps_its_slot_and_an_idle_one_gives_it_up()
    {
        var reviews = new SiblingReviews(_clock);
        // Two workloads whose reviews have the same length: the same slot.
        const string first = "example.com/shop:1.0", second = "example.com/shop:2.0";
        Assert.Equal(Of(first, "aaaa1").Length, Of(second, "bbbb1").Length);

        Remember(reviews, Of(first, "aaaa1"));
        Assert.True(Answers(reviews, Of(first, "aaaa2")));

        // Wanted by the other workload while in use: kept.
        Remember(reviews, Of(second, "bbbb1"));
        Assert.False(Answers(reviews, Of(second, "bbbb2")));
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        Remember(reviews, Of(second, "bbbb1"));
        Assert.True(Answers(reviews, Of(first, "aaaa3")));

        // Answering moved its time on: still kept just under a second later.
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        Remember(reviews, Of(second, "bbbb1"));
        Assert.True(Answers(reviews, Of(first, "aaaa4")));

        // Idle for a second: the other workload takes the slot.
        _clock.Advance(TimeSpan.FromMilliseconds(1000));
        Remember(reviews, Of(second, "bbbb1"));
        Assert.True(Answers(reviews, Of(second, "bbbb2")));
        Assert.False(Answers(reviews, Of(first, "aaaa5")));
    }
}
