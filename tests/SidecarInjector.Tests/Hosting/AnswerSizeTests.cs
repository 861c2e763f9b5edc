using System.Net;
using System.Text.Json.Nodes;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>
/// Answers are written two ways: up to one TLS record (16 KB) in one span of the connection's pipe,
/// larger ones in Kestrel's blocks. Both arrive whole over real TLS, on one keep-alive connection.
/// </summary>
public sealed class AnswerSizeTests
{
    [Fact]
    public async Task Answers_below_and_above_one_tls_record_arrive_whole()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var client = harness.WebhookClient(out var connections);
        var sizes = new List<long>();
        foreach (var containers in new[] { 1, 8, 40, 120, 300 })
        {
            var pod = PodWithProbedContainers(containers);
            using var response = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(pod, uid: "uid-" + containers)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(response.Content.Headers.ContentLength, System.Text.Encoding.UTF8.GetByteCount(text));
            sizes.Add(text.Length);
            var answer = Reviews.Parse(text);
            Assert.Equal("uid-" + containers, answer.Uid);
            var patched = PodValidation.ParseValidPod(Reviews.Patched(pod, answer).ToJsonString());
            Assert.Equal(containers + 1, patched.Spec.Containers.Count);
        }
        Assert.Contains(sizes, s => s is > 4096 and <= 16 * 1024);
        Assert.Contains(sizes, s => s > 16 * 1024);
        Assert.Equal(1, connections.Opened);
    }

    private static JsonObject PodWithProbedContainers(int count)
    {
        var pod = Reviews.SamplePod();
        var containers = new JsonArray();
        for (int i = 0; i < count; i++)
        {
            containers.Add(new JsonObject
            {
                ["name"] = "app-" + i,
                ["image"] = "example/app:1",
                ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 8000 + i }),
                ["readinessProbe"] = new JsonObject
                {
                    ["httpGet"] = new JsonObject { ["path"] = "/ready/" + i, ["port"] = 8000 + i },
                },
            });
        }
        pod["spec"]!["containers"] = containers;
        return pod;
    }
}
