using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Errors;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// A rollout's pods answered from their bytes (<see cref="SiblingReviews"/>): a review that differs from
/// one the memo answered only in its uid and the values no answer reads gets that answer with its own
/// uid, and any other difference takes the read.
/// </summary>
public sealed class SiblingReviewsTests
{
    private const string Uid = "6f1c2a9e-0b7d-4c55-9a3e-1d2f3a4b5c6d";

    /// <summary>A config of its own, so that what other tests render does not change which path a review takes.</summary>
    internal static ConfigSnapshot NewConfig() => ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault());

    /// <summary>The sample pod (a ReplicaSet's: generateName, no name or uid) with its token volume named by <paramref name="suffix"/>.</summary>
    internal static JsonObject Pod(string suffix = "7xkqp", string image = "example.com/shop:1.0")
    {
        var pod = Reviews.SamplePod();
        var json = pod.ToJsonString().Replace("kube-api-access-7xkqp", "kube-api-access-" + suffix, StringComparison.Ordinal);
        pod = JsonNode.Parse(json)!.AsObject();
        pod["spec"]!["containers"]![0]!["image"] = image;
        return pod;
    }

    internal static byte[] Review(JsonObject pod, string uid = Uid) => Encoding.UTF8.GetBytes(Reviews.Review(pod, ns: "shop", uid: uid));

    private static (AdmissionHandler.Result Result, Reviews.Answer Answer) Send(AdmissionHandler handler, byte[] review)
    {
        using var output = new PooledBufferWriter();
        var result = handler.Handle(review, "/inject", output);
        return (result, Reviews.Parse(Reviews.Utf8(output.WrittenSpan)));
    }

    /// <summary>A handler whose memo has answered a sibling of the sample pod (the third sibling is the memo's first answer).</summary>
    private static AdmissionHandler Warmed(ConfigSnapshot config) => Warmed(() => config);

    private static AdmissionHandler Warmed(Func<ConfigSnapshot> config)
    {
        var handler = new AdmissionHandler(config, "default");
        foreach (var suffix in (string[])["aaaa1", "bbbb2", "cccc3"])
        {
            Send(handler, Review(Pod(suffix), uid: Guid.NewGuid().ToString()));
        }
        Assert.Equal(1, handler.MemoHits);
        Assert.Equal(0, handler.SiblingReviewHits);
        return handler;
    }

    private static void AssertSameAsFull(ConfigSnapshot config, JsonObject pod, byte[] review, Reviews.Answer answer)
    {
        var full = Send(new AdmissionHandler(() => config, "default") { RememberAnswers = false, UseRenderKeys = false }, review).Answer;
        Differential.AssertSameOutcome(pod, full, answer, "sibling review");
    }

    [Fact]
    public void A_sibling_differing_in_its_uid_and_token_volume_is_answered_from_its_bytes_with_its_own_uid()
    {
        var config = NewConfig();
        var handler = Warmed(config);
        var pod = Pod("zq9m4");
        const string otherUid = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
        var review = Review(pod, otherUid);

        var (result, answer) = Send(handler, review);

        Assert.Equal(1, handler.SiblingReviewHits);
        Assert.Equal(AdmissionHandler.MemoPath, result.Path);
        Assert.Equal(InjectionOutcome.Injected, result.Outcome);
        Assert.Equal(otherUid, answer.Uid);
        Assert.Equal(otherUid, result.Uid(review));
        Assert.Equal("shop", result.Request.Namespace);
        AssertSameAsFull(config, pod, review, answer);
        // The patch names this pod's token volume nowhere (it is not read), so the remembered one fits it.
        Assert.DoesNotContain("kube-api-access", Encoding.UTF8.GetString(answer.Patch!), StringComparison.Ordinal);
    }

    [Fact]
    public void A_review_differing_anywhere_else_is_read()
    {
        var config = NewConfig();
        var handler = Warmed(config);
        // Same length, another image: the answer differs (the image is not left out of the key).
        var pod = Pod("zq9m4", image: "example.com/shop:2.0");
        var review = Review(pod);

        var (_, answer) = Send(handler, review);

        Assert.Equal(0, handler.SiblingReviewHits);
        AssertSameAsFull(config, pod, review, answer);
    }

    [Theory]
    [InlineData("ZQ9M4", "the token volume's rule masks lower-case letters and digits only")]
    [InlineData("zq-m4", "the token volume's rule masks lower-case letters and digits only")]
    public void A_token_volume_the_keys_rule_would_not_leave_out_is_read(string suffix, string why)
    {
        var config = NewConfig();
        var handler = Warmed(config);
        var pod = Pod(suffix);
        var review = Review(pod);

        var (_, answer) = Send(handler, review);

        Assert.True(handler.SiblingReviewHits == 0, why);
        AssertSameAsFull(config, pod, review, answer);
    }

    [Fact]
    public void A_uid_JSON_would_write_otherwise_is_read()
    {
        var config = NewConfig();
        var handler = Warmed(config);
        // The same length as the warm-up's uids, '+' spelled as it is (valid JSON): the answer's writer escapes it.
        const string plus = "6f1c2a9e+0b7d-4c55-9a3e-1d2f3a4b5c6d";
        var review = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Review(Pod("zq9m4"))).Replace(Uid, plus, StringComparison.Ordinal));
        Assert.Contains(plus, Encoding.UTF8.GetString(review), StringComparison.Ordinal);

        var (_, answer) = Send(handler, review);

        Assert.Equal(0, handler.SiblingReviewHits);
        Assert.Equal(plus, answer.Uid);
    }

    [Fact]
    public void Bytes_that_break_the_JSON_in_a_left_out_value_are_refused_as_the_read_refuses_them()
    {
        var config = NewConfig();
        var handler = Warmed(config);
        var sibling = Review(Pod("zq9m4"));
        // The token's five letters replaced by a quote and what closes the string: no longer one string token.
        var text = Encoding.UTF8.GetString(sibling);
        var broken = Encoding.UTF8.GetBytes(text.Replace("kube-api-access-zq9m4\"", "kube-api-access-zq\"\":\"", StringComparison.Ordinal));
        Assert.Equal(sibling.Length, broken.Length);

        using var output = new PooledBufferWriter();
        Assert.ThrowsAny<AdmissionDecodeException>(() => handler.Handle(broken, "/inject", output));
        Assert.Equal(0, handler.SiblingReviewHits);
    }

    [Fact]
    public void Another_config_or_path_is_not_answered_by_the_remembered_review()
    {
        var config = NewConfig();
        var handler = Warmed(config);
        var review = Review(Pod("zq9m4"));

        using (var output = new PooledBufferWriter())
        {
            handler.Handle(review, "/inject/cluster/east/net/n1", output);
        }
        Assert.Equal(0, handler.SiblingReviewHits);

        // The same handler after a reload: the answer was made with the old config.
        var current = config;
        var reloading = Warmed(() => current);
        current = NewConfig();
        Send(reloading, review);
        Assert.Equal(0, reloading.SiblingReviewHits);
    }
}
