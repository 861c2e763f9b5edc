using System.Text;
using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// Which way a pod's patch was made (<see cref="AdmissionHandler.Result.Path"/>, counted as
/// sidecar_injector_injections_total{path}): a pod whose sidecar render is new is merged, the render's
/// key is confirmed by the next pod of the key, and from then on the pod is patched from its bytes;
/// a sibling of a remembered pod is answered from the memo.
/// </summary>
public sealed class AnswerPathTests
{
    private static AdmissionHandler.Result Send(AdmissionHandler handler, byte[] review)
    {
        using var output = new PooledBufferWriter();
        return handler.Handle(review, "/inject", output);
    }

    [Fact]
    public void A_pod_is_merged_until_its_render_is_known_then_written_from_its_bytes()
    {
        // A config of its own: no other test has rendered with it.
        var config = ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault());
        var handler = new AdmissionHandler(() => config, "default") { RememberAnswers = false };
        var review = Encoding.UTF8.GetBytes(Reviews.Review(Reviews.SamplePod()));

        Assert.Equal(AdmissionHandler.ProjectionPath, Send(handler, review).Path);
        Assert.Equal(AdmissionHandler.ProjectionPath, Send(handler, review).Path);
        var third = Send(handler, review);
        Assert.Equal(InjectionOutcome.Injected, third.Outcome);
        Assert.Equal(AdmissionHandler.DirectPath, third.Path);
        Assert.Equal(1, handler.DirectInjections);
    }

    [Fact]
    public void A_remembered_answer_says_so_and_a_pod_the_direct_path_does_not_take_is_merged()
    {
        var config = ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault());
        var handler = new AdmissionHandler(() => config, "default");
        var review = Encoding.UTF8.GetBytes(Reviews.Review(Reviews.SamplePod()));
        // The memo admits a key the second time it is seen; the third pod is answered from it.
        Assert.NotEqual(AdmissionHandler.MemoPath, Send(handler, review).Path);
        Assert.NotEqual(AdmissionHandler.MemoPath, Send(handler, review).Path);
        Assert.Equal(AdmissionHandler.MemoPath, Send(handler, review).Path);

        // Scrape targets are the merge's to parse (and to warn about).
        var forgetful = new AdmissionHandler(() => config, "default") { RememberAnswers = false };
        var scraped = Reviews.SamplePod();
        scraped["metadata"]!["annotations"]!["prometheus.istio.io/scrape-targets"] = "9100:/metrics";
        var scrapedReview = Encoding.UTF8.GetBytes(Reviews.Review(scraped));
        for (int i = 0; i < 3; i++)
        {
            Assert.NotEqual(AdmissionHandler.DirectPath, Send(forgetful, scrapedReview).Path);
        }
        Assert.Equal(0, forgetful.DirectInjections);
    }
}
