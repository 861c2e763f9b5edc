using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>A flood of connections past --max-connections is closed at once; the connections within it and the probes keep working.</summary>
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

    [Fact]
    public async Task Connections_over_the_cap_are_closed_and_the_rest_keep_serving()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { MaxConnections = 2 });
        using var admin = harness.AdminClient();
        var refusedBefore = PrometheusText.Value(await admin.GetStringAsync("/metrics"), "sidecar_injection_failure_total{reason=\"connection_limit\"}");

        await using var first = await Open(harness);
        await using var second = await Open(harness);
        Assert.NotNull(first);
        Assert.NotNull(second);
        await using var third = await Open(harness);

        Assert.Null(third);
        Assert.True(PrometheusText.Value(await admin.GetStringAsync("/metrics"), "sidecar_injection_failure_total{reason=\"connection_limit\"}") > refusedBefore);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);

        // A slot freed is a slot for the next connection.
        await first!.DisposeAsync();
        Assert.True(await ServerHarness.Eventually(async () =>
        {
            await using var again = await Open(harness);
            return again is not null;
        }, TimeSpan.FromSeconds(5)));
    }
}
