using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SidecarInjector.Hosting;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>
/// /healthz tells the truth: it fails when the webhook listener no longer accepts or answers, or when
/// reviews stop finishing, and not merely because the connection cap is full.
/// </summary>
public sealed class LivenessTests
{
    private static ILogger Quiet => LoggerFactoryFor(new StringWriter()).CreateLogger("test");

    private static ILoggerFactory LoggerFactoryFor(TextWriter output) => ConsoleLog.CreateFactory(LogLevel.Warning, output);

    private static string ServedSha256(ServerHarness harness) =>
        X509Certificate2.CreateFromPem(File.ReadAllText(harness.Secret.PathOf("tls.crt"))).GetCertHashString(HashAlgorithmName.SHA256);

    [Fact]
    public async Task The_self_check_passes_through_the_real_listener()
    {
        await using var harness = await ServerHarness.StartAsync();
        var liveness = new Liveness(new ServingProgress(TimeProvider.System), TimeSpan.FromSeconds(60));
        using var check = new ListenerSelfCheck(new IPEndPoint(IPAddress.Loopback, harness.WebhookPort), () => ServedSha256(harness),
            Timeout.InfiniteTimeSpan, liveness, new ConnectionCap(10), Quiet);

        for (int i = 0; i < Liveness.FailedSelfChecksToDie; i++)
        {
            await check.CheckOnceAsync();
        }

        var problems = liveness.Problems();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.False(liveness.ListenerDead);
    }

    [Fact]
    public async Task A_port_that_completes_connections_but_never_answers_fails_after_three_checks()
    {
        // The kernel completes TCP connections from the backlog of a socket that never accepts:
        // what a dead accept loop looks like from outside.
        using var deaf = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        deaf.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        deaf.Listen(16);
        var log = new StringWriter();
        using var loggers = LoggerFactoryFor(TextWriter.Synchronized(log));
        var liveness = new Liveness(new ServingProgress(TimeProvider.System), TimeSpan.FromSeconds(60));
        using var check = new ListenerSelfCheck((IPEndPoint)deaf.LocalEndPoint!, () => "", Timeout.InfiniteTimeSpan, liveness,
            new ConnectionCap(10), loggers.CreateLogger("SidecarInjector.Liveness"), timeout: TimeSpan.FromMilliseconds(300));

        await check.CheckOnceAsync();
        await check.CheckOnceAsync();
        Assert.Empty(liveness.Problems());
        await check.CheckOnceAsync();

        var problem = Assert.Single(liveness.Problems());
        Assert.Contains("self-check 3 times in a row", problem, StringComparison.Ordinal);
        Assert.True(problem.Contains("no answer within", StringComparison.Ordinal), problem);
        Assert.True(liveness.ListenerDead);
        Assert.Contains("webhook self-check through", log.ToString(), StringComparison.Ordinal);

        liveness.SelfCheckPassed();
        Assert.Empty(liveness.Problems());
    }

    [Fact]
    public async Task A_listener_that_serves_another_certificate_is_not_this_process()
    {
        await using var harness = await ServerHarness.StartAsync();
        var liveness = new Liveness(new ServingProgress(TimeProvider.System), TimeSpan.FromSeconds(60));
        using var check = new ListenerSelfCheck(new IPEndPoint(IPAddress.Loopback, harness.WebhookPort), () => "00",
            Timeout.InfiniteTimeSpan, liveness, new ConnectionCap(10), Quiet);

        for (int i = 0; i < Liveness.FailedSelfChecksToDie; i++)
        {
            await check.CheckOnceAsync();
        }

        Assert.True(liveness.ListenerDead);
    }

    [Fact]
    public async Task A_full_connection_cap_is_not_a_dead_listener()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { MaxConnections = 1 });
        // Hold the only slot.
        using var holder = new TcpClient();
        await holder.ConnectAsync(IPAddress.Loopback, harness.WebhookPort);
        await Task.Delay(200);
        var cap = new ConnectionCap(0);
        var liveness = new Liveness(new ServingProgress(TimeProvider.System), TimeSpan.FromSeconds(60));
        // The check's own connection is refused by the server's cap; the check sees that through the
        // cap it is given, here one that refuses everything, as the server's does when full.
        using var check = new ListenerSelfCheck(new IPEndPoint(IPAddress.Loopback, harness.WebhookPort), () => ServedSha256(harness),
            Timeout.InfiniteTimeSpan, liveness, cap, Quiet);
        var middleware = cap.Middleware(_ => Task.CompletedTask);

        for (int i = 0; i < Liveness.FailedSelfChecksToDie; i++)
        {
            var checking = check.CheckOnceAsync();
            await middleware(new Microsoft.AspNetCore.Connections.DefaultConnectionContext());
            await checking;
        }

        Assert.Empty(liveness.Problems());
    }

    [Fact]
    public async Task The_server_answers_healthz_from_its_self_check_and_livez_on_the_webhook_port()
    {
        await using var harness = await ServerHarness.StartAsync(o => o with { SelfCheckInterval = TimeSpan.FromMilliseconds(100) });
        using var admin = harness.AdminClient();
        using var webhook = harness.WebhookClient(out _);

        await Task.Delay(500);

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/healthz")).StatusCode);
        Assert.Equal("ok\n", await webhook.GetStringAsync("/livez"));
    }

    [Fact]
    public void A_kestrel_listener_failure_in_the_log_fails_liveness_and_readiness_whatever_the_log_level()
    {
        var liveness = new Liveness(new ServingProgress(TimeProvider.System), TimeSpan.FromSeconds(60));
        var output = new StringWriter();
        using var loggers = ConsoleLog.CreateFactory(LogLevel.None, output, listenerFailures: new ListenerFailureObserver(liveness));
        var kestrel = loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");

        kestrel.Log(LogLevel.Error, default, "The connection listener is fine, this is some other error.", null, (s, _) => s);
        Assert.False(liveness.ListenerDead);
        // What Kestrel's accept loop logs as it ends (the runtime's exception is what is simulated).
#pragma warning disable CA2201
        var outOfMemory = new OutOfMemoryException();
#pragma warning restore CA2201
        kestrel.Log(LogLevel.Critical, default, "The connection listener failed to accept any new connections.", outOfMemory, (s, _) => s);

        Assert.True(liveness.ListenerDead);
        var problem = Assert.Single(liveness.Problems());
        Assert.Contains("accepts no more connections", problem, StringComparison.Ordinal);
        Assert.Contains("OutOfMemoryException", problem, StringComparison.Ordinal);
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void Reviews_in_progress_with_none_finishing_mean_a_wedged_serving_path()
    {
        var clock = new ManualTimestamps();
        var progress = new ServingProgress(clock);
        var liveness = new Liveness(progress, TimeSpan.FromSeconds(60));

        // Quiet for an hour: nothing in progress is not wedged.
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Empty(liveness.Problems());

        progress.Begin();
        clock.Advance(TimeSpan.FromSeconds(30));
        progress.Begin();
        progress.End();
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(liveness.Problems());
        clock.Advance(TimeSpan.FromSeconds(2));

        var problem = Assert.Single(liveness.Problems());
        Assert.Contains("wedged", problem, StringComparison.Ordinal);
        // Wedged reviews do not close the listener: readiness is not liveness's business here.
        Assert.False(liveness.ListenerDead);

        progress.End();
        Assert.Empty(liveness.Problems());
    }
}
