using System.Net;
using System.Net.Http.Headers;
using SidecarInjector.Tests.Answer;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>
/// Over real TLS, as the apiserver's Go client asks (<c>Accept-Encoding: gzip</c>): a rollout's later
/// pods are answered in gzip with <c>Content-Encoding: gzip</c>, and a client that does not ask never is.
/// </summary>
public sealed class GzipServingTests
{
    private static async Task<(bool Gzipped, Reviews.Answer Answer)> Post(HttpClient client, string review, bool askForGzip)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/inject") { Content = ServerHarness.Json(review) };
        if (askForGzip)
        {
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        }
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(response.Content.Headers.ContentLength, bytes.Length);
        bool gzipped = response.Content.Headers.ContentEncoding.Contains("gzip");
        if (gzipped)
        {
            bytes = Gunzip.Read(bytes);
        }
        return (gzipped, Reviews.Parse(Reviews.Utf8(bytes)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_rollouts_later_pods_are_answered_in_gzip_only_when_the_client_asks(bool askForGzip)
    {
        await using var harness = await ServerHarness.StartAsync();
        using var client = harness.WebhookClient(out _);
        int gzipped = 0;
        for (int i = 0; i < 8; i++)
        {
            var pod = SiblingReviewsTests.Pod("pod" + (char)('a' + i) + "9");
            var uid = Guid.NewGuid().ToString();
            var (wasGzipped, answer) = await Post(client, Reviews.Review(pod, ns: "shop", uid: uid), askForGzip);
            gzipped += wasGzipped ? 1 : 0;
            Assert.Equal(uid, answer.Uid);
            Assert.True(answer.Allowed);
            var patched = PodValidation.ParseValidPod(Reviews.Patched(pod, answer).ToJsonString());
            Assert.Contains(patched.Spec.Containers, c => c.Name == "istio-proxy");
        }
        if (askForGzip)
        {
            Assert.InRange(gzipped, 1, 8);
        }
        else
        {
            Assert.Equal(0, gzipped);
        }
    }
}
