using System.Net;

namespace SidecarInjector.Tests.Hosting;

/// <summary>A server that cannot start says why in one line and exits 1.</summary>
public sealed class StartFailureTests
{
    [Fact]
    public async Task A_port_in_use_is_reported_and_the_run_ends_with_exit_code_1()
    {
        using var occupied = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        int port = ((IPEndPoint)occupied.LocalEndpoint).Port;
        var options = new SidecarInjector.CommandLine.ServeOptions
        {
            Dev = true,
            Port = port,
            AdminPort = 0,
            ListenAddress = "127.0.0.1",
            LogLevel = "Information",
        };
        var log = new StringWriter();
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.Equal(1, await SidecarInjector.Hosting.WebhookServer.RunAsync(options, System.Diagnostics.Stopwatch.GetTimestamp(), TextWriter.Synchronized(log)));
        }
        finally
        {
            Console.SetError(previous);
        }
        Assert.Contains("sidecar-injector: cannot listen:", error.ToString());
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.ToString());
        // One line says it all: no stack trace in the log or on stderr.
        Assert.DoesNotContain("   at ", log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
    }
}
