using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>
/// Past --max-inflight-bytes a review is refused at once with 429 (failurePolicy decides), the
/// reviews within it are answered, and the budget comes back when they finish.
/// </summary>
public sealed class MemoryBudgetTests
{
    private static byte[] LargeReview(int envVars)
    {
        var pod = Reviews.SamplePod();
        var env = new JsonArray();
        for (int i = 0; i < envVars; i++)
        {
            env.Add(new JsonObject { ["name"] = "VAR_" + i, ["value"] = new string('x', 100) });
        }
        pod["spec"]!["containers"]![0]!.AsObject()["env"] = env;
        return Encoding.UTF8.GetBytes(Reviews.Review(pod));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_review_past_the_budget_is_refused_at_once_and_the_held_one_is_answered(bool chunked)
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { MaxInflightBytes = 64 * 1024 });
        using var client = harness.WebhookClient(out _);
        using var admin = harness.AdminClient();
        var large = LargeReview(envVars: 600);
        Assert.InRange(large.Length, 64 * 1024, 128 * 1024);

        // One large review alone is admitted even though it is over the budget, and held mid-body.
        var held = new HeldBody(large, chunked);
        held.Headers.ContentType = new("application/json");
        var first = client.PostAsync("/inject", held);
        await held.FirstHalfSent.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // Its reservation is taken once the server has its headers (all at once with Content-Length,
        // as the bytes arrive without). Asking before that would race it: a review in flight when the
        // held one's first bytes arrive would, rightly, get the held one refused instead.
        Assert.True(await ServerHarness.Eventually(() => Task.FromResult(harness.Server.Budget.InFlightBytes > 0), TimeSpan.FromSeconds(10)),
            "the held review never reserved its body");
        var second = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod())));
        using var refused = second;
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), second.Headers.RetryAfter?.Delta);
        Assert.Contains("--max-inflight-bytes", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.True(PrometheusText.Value(metrics, "sidecar_injection_failure_total{reason=\"memory_budget\"}") >= 1);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/healthz")).StatusCode);

        held.SendTheRest.TrySetResult();
        using var firstAnswer = await first;
        Assert.Equal(HttpStatusCode.OK, firstAnswer.StatusCode);
        Assert.True(Reviews.Parse(await firstAnswer.Content.ReadAsStringAsync()).Allowed);

        // Released: the next review goes through.
        using var third = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod())));
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.NotNull(Reviews.Parse(await third.Content.ReadAsStringAsync()).Patch);
    }
}
