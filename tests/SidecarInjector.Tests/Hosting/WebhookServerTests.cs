using System.Net;
using System.Security.Authentication;
using System.Text;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>The server as the apiserver meets it: HTTPS on loopback, keep-alive, real reviews.</summary>
public sealed class WebhookServerTests
{
    [Fact]
    public async Task Serves_v1_and_v1beta1_reviews_over_one_keep_alive_connection()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var client = harness.WebhookClient(out var connections);

        for (int i = 0; i < 20; i++)
        {
            var version = i % 2 == 0 ? "v1" : "v1beta1";
            var pod = Reviews.SamplePod();
            using var response = await client.PostAsync("/inject?timeout=10s", ServerHarness.Json(Reviews.Review(pod, version: version, uid: "uid-" + i)));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(new Version(1, 1), response.Version);
            Assert.False(response.Headers.ConnectionClose ?? false);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var answer = Reviews.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("admission.k8s.io/" + version, answer.ApiVersion);
            Assert.Equal("uid-" + i, answer.Uid);
            Assert.True(answer.Allowed);
            var patched = Reviews.Patched(pod, answer);
            var typed = PodValidation.ParseValidPod(patched.ToJsonString());
            Assert.Contains(typed.Spec.Containers, c => c.Name == "istio-proxy");
        }
        Assert.Equal(1, connections.Opened);
    }

    [Theory]
    [InlineData("/inject")]
    [InlineData("/inject/")]
    [InlineData("/inject/cluster/cluster1/net/network1?timeout=10s")]
    public async Task Every_inject_path_is_served(string path)
    {
        await using var harness = await ServerHarness.StartAsync();
        using var client = harness.WebhookClient(out _);
        using var response = await client.PostAsync(path, ServerHarness.Json(Reviews.Review(Reviews.SamplePod())));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(Reviews.Parse(await response.Content.ReadAsStringAsync()).Patch);
    }

    [Fact]
    public async Task Http2_is_refused_by_default_and_served_when_enabled()
    {
        await using (var plain = await ServerHarness.StartAsync())
        {
            using var h2 = plain.WebhookClient(out _, version: HttpVersion.Version20);
            await Assert.ThrowsAsync<HttpRequestException>(() => h2.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod()))));
        }
        await using var enabled = await ServerHarness.StartAsync(o => o with { EnableHttp2 = true });
        using var client = enabled.WebhookClient(out _, version: HttpVersion.Version20);
        using var response = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod())));
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.NotNull(Reviews.Parse(await response.Content.ReadAsStringAsync()).Patch);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Tls_12_and_13_are_accepted(SslProtocols protocol)
    {
        await using var harness = await ServerHarness.StartAsync();
        using var client = harness.WebhookClient(out _, protocol);
        using var response = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod())));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Bad_requests_get_clear_answers_and_the_server_keeps_serving()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { MaxRequestBytes = 64 * 1024 });
        using var client = harness.WebhookClient(out _);

        async Task Expect(HttpStatusCode status, HttpRequestMessage request, string messagePart)
        {
            using var response = await client.SendAsync(request);
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(messagePart, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
        HttpRequestMessage Post(HttpContent? content, string path = "/inject") => new(HttpMethod.Post, path) { Content = content };

        await Expect(HttpStatusCode.BadRequest, Post(ServerHarness.Json("")), "no body");
        await Expect(HttpStatusCode.BadRequest, Post(ServerHarness.Json("this is not json")), "not valid JSON");
        await Expect(HttpStatusCode.BadRequest, Post(ServerHarness.Json("{\"kind\":\"Pod\"}")), "AdmissionReview");
        await Expect(HttpStatusCode.UnsupportedMediaType, Post(new StringContent(Reviews.Review(Reviews.SamplePod()), Encoding.UTF8, "text/plain")), "application/json");
        await Expect(HttpStatusCode.UnsupportedMediaType, Post(new ByteArrayContent(Encoding.UTF8.GetBytes("{}"))), "application/json");
        var huge = Reviews.SamplePod();
        huge["metadata"]!["annotations"]!["big"] = new string('x', 100 * 1024);
        // Expect: 100-continue lets the 413 arrive before the body is sent; without it the server's
        // early answer races the upload and the client may see a reset instead.
        var tooLarge = Post(ServerHarness.Json(Reviews.Review(huge)));
        tooLarge.Headers.ExpectContinue = true;
        await Expect(HttpStatusCode.RequestEntityTooLarge, tooLarge, "limit");
        var chunked = Post(new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(Reviews.Review(huge)))));
        chunked.Content!.Headers.ContentType = new("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        chunked.Headers.ExpectContinue = true;
        await Expect(HttpStatusCode.RequestEntityTooLarge, chunked, "");
        await Expect(HttpStatusCode.MethodNotAllowed, new HttpRequestMessage(HttpMethod.Get, "/inject"), "POST");
        await Expect(HttpStatusCode.NotFound, Post(ServerHarness.Json("{}"), "/mutate"), "not found");
        var deep = "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{\"uid\":\"1\",\"x\":" + new string('[', 5000) + new string(']', 5000) + "}}";
        await Expect(HttpStatusCode.BadRequest, Post(ServerHarness.Json(deep)), "depth");

        var wrongTypes = Reviews.SamplePod();
        wrongTypes["spec"]!["containers"] = "nope";
        using (var response = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(wrongTypes))))
        {
            var answer = Reviews.Parse(await response.Content.ReadAsStringAsync());
            Assert.False(answer.Allowed);
            Assert.Null(answer.Patch);
            Assert.Contains("spec.containers", answer.Message);
        }

        // Still alive and still right.
        using var client2 = harness.WebhookClient(out _);
        using var ok = await client2.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod())));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.NotNull(Reviews.Parse(await ok.Content.ReadAsStringAsync()).Patch);
    }

    [Fact]
    public async Task Admin_port_reports_health_readiness_and_istio_metrics()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var webhook = harness.WebhookClient(out _);
        (await webhook.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod())))).Dispose();
        var skipped = Reviews.SamplePod();
        skipped["metadata"]!["labels"]!["sidecar.istio.io/inject"] = "false";
        (await webhook.PostAsync("/inject", ServerHarness.Json(Reviews.Review(skipped)))).Dispose();
        (await webhook.PostAsync("/inject", ServerHarness.Json("garbage"))).Dispose();

        using var admin = harness.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);
        using var metrics = await admin.GetAsync("/metrics");
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType?.ToString());
        var text = await metrics.Content.ReadAsStringAsync();
        foreach (var name in new[]
        {
            "sidecar_injection_requests_total", "sidecar_injection_success_total", "sidecar_injection_skip_total",
            "sidecar_injection_failure_total{reason=\"decode_error\"}", "sidecar_injection_time_seconds_bucket",
            "sidecar_injector_config_reloads_total{result=\"success\"}", "sidecar_injector_certificate_reloads_total{result=\"success\"}",
            "sidecar_injector_config_info{version=", "kestrel_active_connections", "kestrel_tls_handshake_duration_seconds",
            "sidecar_injector_answer_cache_bytes{table=\"memo\"}", "sidecar_injector_answer_cache_bytes{table=\"sibling_digests\"}",
        })
        {
            Assert.Contains(name, text);
        }

        // The runtime's own meter: observable instruments report their current value at each
        // scrape, so two scrapes in a row must not add up (a working set does not double).
        var workingSet = PrometheusText.Value(text, "dotnet_process_memory_working_set_bytes");
        Assert.True(workingSet > 1_000_000, "dotnet_process_memory_working_set_bytes missing or implausible");
        Assert.Contains("dotnet_gc_collections_total{gc_heap_generation=\"gen0\"}", text);
        var again = PrometheusText.Value(await admin.GetStringAsync("/metrics"), "dotnet_process_memory_working_set_bytes");
        Assert.InRange(again, workingSet / 2, workingSet * 1.5);
        // The webhook port does not serve admin paths, and the admin port does not inject.
        using var notAdmin = await webhook.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, notAdmin.StatusCode);
        using var notWebhook = await admin.PostAsync("/inject", ServerHarness.Json("{}"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, notWebhook.StatusCode);
    }
}
