using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>
/// Past --max-connections a new connection takes the place of the longest idle one, or is closed at
/// once when every connection is busy; the busy ones and the probes keep working.
/// </summary>
public sealed class ConnectionCapTests
{
    private static async Task<SslStream?> Open(ServerHarness harness)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? tls = null;
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, harness.WebhookPort);
            tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, certificate, _, _) => harness.IssuedByTestCa(certificate),
            });
            return tls;
        }
        catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            // Closed by the server (the cap) before or during the handshake.
            if (tls is not null)
            {
                await tls.DisposeAsync();
            }
            socket.Dispose();
            return null;
        }
    }

    private static async Task<bool> ClosedByServer(SslStream connection)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return await connection.ReadAsync(new byte[1], timeout.Token) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    [Fact]
    public async Task When_every_connection_is_busy_a_new_one_is_closed_and_the_busy_ones_finish()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { MaxConnections = 2 });
        using var admin = harness.AdminClient();
        var refusedBefore = PrometheusText.Value(await admin.GetStringAsync("/metrics"), "sidecar_injection_failure_total{reason=\"connection_limit\"}");
        var body = System.Text.Encoding.UTF8.GetBytes(Reviews.Review(Reviews.SamplePod()));
        using var firstClient = harness.WebhookClient(out _);
        using var secondClient = harness.WebhookClient(out _);
        var firstBody = new HeldBody(body);
        var secondBody = new HeldBody(body);
        firstBody.Headers.ContentType = new("application/json");
        secondBody.Headers.ContentType = new("application/json");
        var first = firstClient.PostAsync("/inject", firstBody);
        var second = secondClient.PostAsync("/inject", secondBody);
        await Task.WhenAll(firstBody.FirstHalfSent.Task, secondBody.FirstHalfSent.Task).WaitAsync(TimeSpan.FromSeconds(10));
        // Busy past the eviction's minimum idle time: still not evictable.
        await Task.Delay(1500);

        await using var third = await Open(harness);

        Assert.Null(third);
        Assert.True(PrometheusText.Value(await admin.GetStringAsync("/metrics"), "sidecar_injection_failure_total{reason=\"connection_limit\"}") > refusedBefore);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);
        firstBody.SendTheRest.TrySetResult();
        secondBody.SendTheRest.TrySetResult();
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
    }

    [Fact]
    public async Task At_the_cap_a_new_connection_takes_the_place_of_the_longest_idle_one()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { MaxConnections = 2 });
        using var admin = harness.AdminClient();
        var evictedBefore = PrometheusText.Value(await admin.GetStringAsync("/metrics"), "sidecar_injection_failure_total{reason=\"connection_evicted\"}");
        await using var oldest = await Open(harness);
        await Task.Delay(100);
        await using var newer = await Open(harness);
        Assert.NotNull(oldest);
        Assert.NotNull(newer);
        // Idle long enough to be a candidate (a connection just opened is about to send).
        await Task.Delay(1200);

        using var client = harness.WebhookClient(out _);
        using var answer = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod())));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.True(await ClosedByServer(oldest!));
        Assert.True(PrometheusText.Value(await admin.GetStringAsync("/metrics"), "sidecar_injection_failure_total{reason=\"connection_evicted\"}") > evictedBefore);
    }

    [Fact]
    public async Task A_slot_freed_is_a_slot_for_the_next_connection()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { MaxConnections = 1 });
        var first = await Open(harness);
        Assert.NotNull(first);
        await first!.DisposeAsync();

        Assert.True(await ServerHarness.Eventually(async () =>
        {
            await using var again = await Open(harness);
            return again is not null;
        }, TimeSpan.FromSeconds(5)));
    }
}
