using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>SIGTERM as Kubernetes sends it: not ready first, in-flight reviews answered, connections moved, then stopped.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task On_shutdown_the_server_reports_not_ready_but_keeps_serving_during_the_delay()
    {
        var harness = await ServerHarness.StartAsync(o => o with { ShutdownDelay = TimeSpan.FromSeconds(3) });
        using var admin = harness.AdminClient();
        using var client = harness.WebhookClient(out var connections);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);
        using (var before = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod()))))
        {
            Assert.False(before.Headers.ConnectionClose ?? false);
        }
        Assert.Equal(1, connections.Opened);

        var stopping = harness.DisposeAsync().AsTask();
        Assert.True(await ServerHarness.Eventually(async () => (await admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(2)));
        using var response = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod())));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(Reviews.Parse(await response.Content.ReadAsStringAsync()).Patch);
        // Draining: each answer closes its connection, so a client's next review reconnects (through
        // the Service, to a replica that stays) instead of riding this connection until it is cut.
        Assert.True(response.Headers.ConnectionClose);
        using var next = await client.PostAsync("/inject", ServerHarness.Json(Reviews.Review(Reviews.SamplePod())));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(2, connections.Opened);
        await stopping;
    }

    [Fact]
    public async Task A_review_in_flight_when_shutdown_begins_is_answered_in_full()
    {
        var harness = await ServerHarness.StartAsync();
        var body = Encoding.UTF8.GetBytes(Reviews.Review(Reviews.SamplePod()));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, harness.WebhookPort);
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, certificate, _, _) => harness.IssuedByTestCa(certificate),
        });

        // The endpoint is reading the body (Kestrel answers 100 Continue when it starts to), half of
        // the body is on the wire, and then the stop begins.
        var head = Encoding.ASCII.GetBytes(
            $"POST /inject?timeout=10s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nExpect: 100-continue\r\n\r\n");
        await tls.WriteAsync(head);
        await tls.FlushAsync();
        Assert.StartsWith("HTTP/1.1 100", await ReadInterimResponse(tls), StringComparison.Ordinal);
        await tls.WriteAsync(body.AsMemory(0, body.Length / 2));
        await tls.FlushAsync();
        var stopping = harness.DisposeAsync().AsTask();
        // The stop has begun once the listener is closed: new connections are refused.
        Assert.True(await ServerHarness.Eventually(() => Task.FromResult(!Accepts(harness.WebhookPort)), TimeSpan.FromSeconds(10)),
            "the listener never closed");
        Assert.False(stopping.IsCompleted, "the server stopped with a review still in flight");

        await tls.WriteAsync(body.AsMemory(body.Length / 2));
        await tls.FlushAsync();
        var response = await ReadHttpResponse(tls);
        Assert.StartsWith("HTTP/1.1 200", response.Head, StringComparison.Ordinal);
        Assert.NotNull(Reviews.Parse(response.Body).Patch);
        await stopping;
    }

    /// <summary>Whether a TCP connection to the port is accepted now.</summary>
    private static bool Accepts(int port)
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Reads an interim response (its head only) from a raw stream, byte by byte so that nothing after it is consumed.</summary>
    private static async Task<string> ReadInterimResponse(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.True(await stream.ReadAsync(one) == 1, "the connection closed before an interim response");
            head.Append((char)one[0]);
        }
        return head.ToString();
    }

    /// <summary>Reads one HTTP/1.1 response with a Content-Length from a raw stream.</summary>
    private static async Task<(string Head, string Body)> ReadHttpResponse(Stream stream)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            int read = await stream.ReadAsync(buffer);
            Assert.True(read > 0, "the connection closed before a full response arrived");
            received.Write(buffer, 0, read);
            var text = Encoding.UTF8.GetString(received.GetBuffer(), 0, (int)received.Length);
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                continue;
            }
            var head = text[..end];
            var lengthLine = head.Split("\r\n").SingleOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            Assert.True(lengthLine is not null, "no Content-Length in: " + head);
            int length = int.Parse(lengthLine!["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            if (received.Length - (end + 4) >= length)
            {
                return (head, Encoding.UTF8.GetString(received.GetBuffer(), end + 4, length));
            }
        }
    }
}
