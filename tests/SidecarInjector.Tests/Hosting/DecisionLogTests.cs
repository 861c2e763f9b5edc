using System.Text.Json.Nodes;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>
/// "Why was my pod not injected?": every decision is logged at Debug with namespace, pod, uid, the
/// outcome and the rule that decided it, denials at Warning with the same; read here as an operator
/// shipping JSON logs would, one JSON object a line, from a real server.
/// </summary>
public sealed class DecisionLogTests
{
    [Fact]
    public async Task Every_decision_is_logged_with_the_pod_and_the_rule_that_decided_it()
    {
        var log = new StringWriter();
        await using var harness = await ServerHarness.StartAsync(o => o with { LogLevel = "Debug", JsonLogs = true },
            log: TextWriter.Synchronized(log));
        using var client = harness.WebhookClient(out _);

        var injected = Reviews.SamplePod();
        var optedOut = Reviews.SamplePod();
        optedOut["metadata"]!["labels"]!["sidecar.istio.io/inject"] = "false";
        var byAnnotation = Reviews.SamplePod();
        byAnnotation["metadata"]!["annotations"]!["sidecar.istio.io/inject"] = "false";
        var system = Reviews.SamplePod();
        var broken = Reviews.SamplePod();
        broken["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"] = "http";
        var named = Reviews.SamplePod();
        named["metadata"]!.AsObject().Remove("generateName");
        named["metadata"]!["name"] = "standalone";
        named["metadata"]!["labels"]!["sidecar.istio.io/inject"] = "false";

        var cases = new (string Review, string Uid)[]
        {
            Send(injected),
            Send(optedOut),
            Send(byAnnotation),
            Send(system, ns: "kube-system"),
            Send(broken),
            Send(named),
            Send(injected, operation: "UPDATE"),
        };
        foreach (var (review, _) in cases)
        {
            using var response = await client.PostAsync("/inject", ServerHarness.Json(review));
            response.EnsureSuccessStatusCode();
        }

        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Every line is one JSON object with the common keys.
        var entries = lines.Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        Assert.All(entries, e => Assert.NotNull(e["time"]));
        Assert.All(entries, e => Assert.NotNull(e["level"]));
        Assert.All(entries, e => Assert.NotNull(e["msg"]));

        JsonObject For(int i) => Assert.Single(entries, e => (string?)e["uid"] == cases[i].Uid);

        AssertEntry(For(0), "debug", "shop", "reviews-v1-6f9c7d8b5-", "injected", "policy enabled");
        AssertEntry(For(1), "debug", "shop", "reviews-v1-6f9c7d8b5-", "skipped", "label sidecar.istio.io/inject=\"false\"");
        AssertEntry(For(2), "debug", "shop", "reviews-v1-6f9c7d8b5-", "skipped", "annotation sidecar.istio.io/inject=\"false\"");
        AssertEntry(For(3), "debug", "kube-system", "reviews-v1-6f9c7d8b5-", "skipped", "namespace is never injected");
        var denied = For(4);
        Assert.Equal("warn", (string?)denied["level"]);
        Assert.Equal("shop", (string?)denied["namespace"]);
        Assert.Equal("reviews-v1-6f9c7d8b5-", (string?)denied["pod"]);
        Assert.Contains("spec.containers[0].ports[0].containerPort", (string?)denied["message"], StringComparison.Ordinal);
        AssertEntry(For(5), "debug", "shop", "standalone", "skipped", "label sidecar.istio.io/inject=\"false\"");
        AssertEntry(For(6), "debug", "shop", "", "skipped", "not a pod CREATE");
    }

    [Fact]
    public async Task Decisions_stay_out_of_the_log_above_debug()
    {
        var log = new StringWriter();
        await using var harness = await ServerHarness.StartAsync(o => o with { LogLevel = "Information" }, log: TextWriter.Synchronized(log));
        using var client = harness.WebhookClient(out _);
        var (review, uid) = Send(Reviews.SamplePod());

        using var response = await client.PostAsync("/inject", ServerHarness.Json(review));
        response.EnsureSuccessStatusCode();

        Assert.DoesNotContain(uid, log.ToString(), StringComparison.Ordinal);
        Assert.Contains("info: SidecarInjector", log.ToString(), StringComparison.Ordinal);
    }

    private static (string Review, string Uid) Send(JsonObject pod, string ns = "shop", string operation = "CREATE")
    {
        var uid = Guid.NewGuid().ToString();
        return (Reviews.Review(pod, ns: ns, operation: operation, uid: uid), uid);
    }

    private static void AssertEntry(JsonObject entry, string level, string ns, string pod, string outcome, string rule)
    {
        Assert.Equal(level, (string?)entry["level"]);
        Assert.Equal(ns, (string?)entry["namespace"]);
        Assert.Equal(pod, (string?)entry["pod"]);
        Assert.Equal(outcome, (string?)entry["outcome"]);
        Assert.Equal(rule, (string?)entry["rule"]);
        Assert.Equal("SidecarInjector.Webhook", (string?)entry["logger"]);
    }
}
