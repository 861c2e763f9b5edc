using System.Net;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>A rotation that mounts an expired certificate: the good one keeps serving, the failure is counted, expiry is exported.</summary>
public sealed class CertificateRotationTests
{
    [Fact]
    public async Task An_expired_certificate_on_rotation_is_refused_counted_and_the_server_stays_ready()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { PollInterval = TimeSpan.FromMinutes(10) });
        using var admin = harness.AdminClient();
        var served = harness.ServingThumbprint;
        var metrics = await admin.GetStringAsync("/metrics");
        var failuresBefore = PrometheusText.Value(metrics, "sidecar_injector_certificate_reloads_total{result=\"failure\"}");
        var expiry = PrometheusText.Value(metrics, "sidecar_injector_certificate_expiry_timestamp_seconds");
        Assert.True(expiry > DateTimeOffset.UtcNow.ToUnixTimeSeconds(), "expiry gauge: " + expiry);

        var now = DateTimeOffset.UtcNow;
        var expired = harness.Certificates.IssueServing(notBefore: now.AddDays(-10), notAfter: now.AddDays(-1));
        harness.Secret.Update(new Dictionary<string, string> { ["tls.crt"] = expired.CertPem, ["tls.key"] = expired.KeyPem });

        Assert.True(await ServerHarness.Eventually(async () =>
            PrometheusText.Value(await admin.GetStringAsync("/metrics"), "sidecar_injector_certificate_reloads_total{result=\"failure\"}") > failuresBefore,
            TimeSpan.FromSeconds(5)));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);
        using var client = harness.WebhookClient(out _, onServerCertificate: c => Assert.Equal(served, c.Thumbprint));
        using var response = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod())));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
