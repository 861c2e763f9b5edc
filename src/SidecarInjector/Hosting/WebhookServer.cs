using System.Net;
using System.Net.Security;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SidecarInjector.Answer;
using SidecarInjector.Certificates;
using SidecarInjector.CommandLine;
using SidecarInjector.Configuration;
using SidecarInjector.Metrics;
using SidecarInjector.Watching;

namespace SidecarInjector.Hosting;

/// <summary>
/// Hosting: one Kestrel with two listeners, the webhook (HTTPS, HTTP/1.1 unless --enable-http2)
/// and the admin port (plain HTTP). Requests are told apart by the connection being TLS or not.
/// </summary>
internal static partial class WebhookServer
{
    private static readonly TimeSpan WatchDebounce = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(ServeOptions options, long startedTimestamp, TextWriter? logOutput = null)
    {
        // We own the signals (not the host's console lifetime), so that SIGTERM first drains.
        var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void RequestStop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopRequested.TrySetResult();
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestStop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestStop);
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, RequestStop);

        RunningServer started;
        try
        {
            started = await StartAsync(options, startedTimestamp, logOutput);
        }
        catch (IOException e)
        {
            // A port in use or an address that cannot be bound: say so and exit, no stack trace.
            await Console.Error.WriteLineAsync("sidecar-injector: cannot listen: " + e.Message);
            return 1;
        }
        await using var server = started;
        if (options.Dev)
        {
            Console.WriteLine(DevBanner(server.Addresses));
        }
        await stopRequested.Task;
        await server.DisposeAsync();
        return 0;
    }

    /// <summary>
    /// Loads config and certificate, binds both ports and returns once listening and loaded. Logs go
    /// to standard output, or to <paramref name="logOutput"/> (tests read what an operator would see).
    /// </summary>
    public static async Task<RunningServer> StartAsync(ServeOptions options, long startedTimestamp, TextWriter? logOutput = null)
    {
        var level = Enum.TryParse<LogLevel>(options.LogLevel, ignoreCase: true, out var parsed) ? parsed : LogLevel.Information;
        // One logger factory for our components (they log before the host exists: config and
        // certificate load first) and for the host, which is handed this one instead of its own.
        var progress = new ServingProgress(TimeProvider.System);
        var liveness = new Liveness(progress, options.WedgedAfter);
        var loggerFactory = ConsoleLog.CreateFactory(level, logOutput ?? Console.Out, options.JsonLogs, new ListenerFailureObserver(liveness));
        var log = loggerFactory.CreateLogger("SidecarInjector");

        var configStore = new ConfigStore(
            options.ConfigSource.Read,
            loggerFactory.CreateLogger("SidecarInjector.Config"));
        var alpn = options.EnableHttp2
            ? new List<SslApplicationProtocol> { SslApplicationProtocol.Http2, SslApplicationProtocol.Http11 }
            : new List<SslApplicationProtocol> { SslApplicationProtocol.Http11 };
        var certLogger = loggerFactory.CreateLogger("SidecarInjector.Certificates");
        var certificates = options.Dev
            ? new CertificateStore(alpn, certLogger)
            : new CertificateStore(options.TlsCertFile, options.TlsKeyFile, alpn, certLogger);
        // Listening before anything is measured: a measurement made before the listener starts is lost,
        // and the first config and certificate loads below would race it (the reload counters at 0).
        var exporter = new PrometheusExporter();
        // Config and certificate load while the host is built and binds (first, so that the loading
        // thread starts as early as it can: it is the longer of the two paths to readiness). Neither
        // needs the other, and readiness waits for both anyway.
        var loading = Task.Run(() =>
        {
            configStore.Reload();
            if (options.Dev)
            {
                certificates.Use(DevCertificate.Create());
            }
            else
            {
                certificates.Reload();
            }
        });

        // The empty builder: everything comes from the command line, so none of the slim builder's
        // appsettings*.json sources (and the file watcher on the working directory they start).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseKestrelCore();
        // The socket's read-ahead (1 MiB by default, in Kestrel's pinned buffers, which it keeps for
        // reuse): a flood of clients sending large bodies would pin a megabyte per connection.
        builder.Services.Configure<SocketTransportOptions>(sockets =>
        {
            sockets.MaxReadBufferSize = 64 * 1024;
            sockets.MaxWriteBufferSize = 64 * 1024;
        });
        builder.Services.AddSingleton(loggerFactory);
        // The delay runs inside the host's stop, so the timeout covers both.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddSingleton<IHostLifetime, ExternallyStoppedLifetime>();

        var cluster = ClusterFeatures.Start(options, loggerFactory, Environment.GetEnvironmentVariable);
        var handler = new AdmissionHandler(() => configStore.Current, options.Revision, cluster.NamespaceLookup, cluster.NodeLookup);
        InjectorMetrics.ObserveAnswerTables(handler.AnswerTableBytes);
        var drain = new DrainState();
        var budget = new RequestBodyBudget(options.MaxInflightBytes ?? RequestBodyBudget.DefaultFor(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes));
        var webhook = new WebhookEndpoint(handler, options.MaxRequestBytes, options.NoopEndpoint, drain,
            loggerFactory.CreateLogger("SidecarInjector.Webhook"), budget, progress);
        var admin = new AdminEndpoint(configStore, certificates, exporter, drain, liveness);
        var connectionCap = new ConnectionCap(options.MaxConnections);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            // What a connection may have read ahead of the application (Kestrel's default is 1 MiB):
            // the body is moved out as it arrives, so 64 KiB keeps uploads flowing, and 512 connections
            // of clients that send and never wait for an answer hold 32 MiB, not 512.
            kestrel.Limits.MaxRequestBufferSize = 64 * 1024;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(90);
            Listen(kestrel, options.ListenAddress, options.Port, listen =>
            {
                listen.Protocols = options.EnableHttp2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                // Before TLS, so that a connection over the cap costs no handshake.
                listen.Use(connectionCap.Middleware);
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => certificates.ForNextHandshake(),
                    HandshakeTimeout = TimeSpan.FromSeconds(10),
                });
            });
            Listen(kestrel, options.ListenAddress, options.AdminPort, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        app.Run(context => context.Request.IsHttps ? Webhook(context) : admin.HandleAsync(context));

        async Task Webhook(HttpContext context)
        {
            // Busy while a review is in progress: the connection cap evicts only idle connections.
            var connection = context.Connection.Id;
            connectionCap.RequestStarted(connection);
            try
            {
                await webhook.HandleAsync(context);
            }
            finally
            {
                connectionCap.RequestEnded(connection);
            }
        }

        try
        {
            await app.StartAsync();
            // The loads log a bad file and keep going; one that throws is a bug of ours, reported to the
            // caller like a port in use, with nothing left listening behind it.
            await loading;
        }
        catch
        {
            // Nothing listens (a port in use, say), or the first load failed: release what was started
            // before the caller reports it.
            await app.DisposeAsync();
            cluster.Dispose();
            exporter.Dispose();
            loggerFactory.Dispose();
            throw;
        }
        var startupMilliseconds = System.Diagnostics.Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds;
        // The watchers start once both are loaded, off readiness's path (their threads and inotify
        // handles cost a few ms of start-up): each checks once after its debounce, so a change made
        // while they started is not missed (the stores compare content, so an unchanged mount costs a read).
        var trimmer = new MemoryTrimmer(budget, TrimInterval);
        var configWatcher = options.ConfigSource.WatchedDirectory is not { } watched
            ? null
            : new MountWatcher(watched, () =>
            {
                configStore.Reload();
                // Loaded or refused, the load's garbage (documents, the dry run) is no longer needed.
                trimmer.Request();
            }, WatchDebounce, options.PollInterval);
        var certWatchers = options.Dev
            ? null
            : new CertificateWatchers(options, certificates, options.PollInterval);
        configWatcher?.CheckAfterDebounce();
        certWatchers?.CheckAfterDebounce();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var listening = string.Join(", ", addresses);
        LogListening(log, listening, admin.IsReady, startupMilliseconds);
        LogBudget(log, budget.LimitBytes, options.MaxInflightBytes is null ? "from the memory limit" : "--max-inflight-bytes", options.MaxConnections);
        var selfCheck = new ListenerSelfCheck(
            ListenerSelfCheck.TargetFor(options.ListenAddress, BoundPort(addresses, "https", options.Port)), () => certificates.Thumbprint,
            options.SelfCheckInterval, liveness, connectionCap, loggerFactory.CreateLogger("SidecarInjector.Liveness"));
        return new RunningServer(app, [.. addresses], budget, () =>
        {
            // Still serving, no longer ready: the Service drops this pod before the listener closes.
            drain.Begin();
            LogDraining(log, options.ShutdownDelay.TotalSeconds);
            return options.ShutdownDelay;
        }, () =>
        {
            selfCheck.Dispose();
            trimmer.Dispose();
            configWatcher?.Dispose();
            certWatchers?.Dispose();
            cluster.Dispose();
            exporter.Dispose();
            LogStopped(log);
            loggerFactory.Dispose();
        });
    }

    /// <summary>The port actually bound for <paramref name="scheme"/> (the one asked for, unless it was 0).</summary>
    private static int BoundPort(ICollection<string> addresses, string scheme, int asked)
    {
        foreach (var address in addresses)
        {
            int colon = address.LastIndexOf(':');
            if (address.StartsWith(scheme + "://", StringComparison.Ordinal) && colon > 0
                && int.TryParse(address.AsSpan(colon + 1).TrimEnd('/'), out int port))
            {
                return port;
            }
        }
        return asked;
    }

    private static void Listen(KestrelServerOptions kestrel, string address, int port, Action<ListenOptions> configure)
    {
        if (string.IsNullOrEmpty(address))
        {
            kestrel.ListenAnyIP(port, configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(address), port, configure);
        }
    }

    private static string DevBanner(IReadOnlyList<string> addresses)
    {
        var self = Environment.ProcessPath ?? "sidecar-injector";
        var https = addresses.FirstOrDefault(a => a.StartsWith("https", StringComparison.Ordinal)) ?? "https://localhost:9443";
        var port = https[(https.LastIndexOf(':') + 1)..];
        var http = addresses.FirstOrDefault(a => a.StartsWith("http:", StringComparison.Ordinal)) ?? "http://localhost:8080";
        var adminPort = http[(http.LastIndexOf(':') + 1)..];
        return $"""

            sidecar-injector is running in --dev mode: embedded default config, self-signed certificate for localhost.
              webhook  https://localhost:{port}/inject   (TLS; the certificate is not trusted, so use curl -k)
              admin    http://localhost:{adminPort}/healthz  /readyz  /metrics
            Send it a realistic Pod CREATE review:
              {self} sample-review | curl -sk -H 'Content-Type: application/json' --data-binary @- https://localhost:{port}/inject
            Stop with Ctrl+C.

            """;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "listening on {Addresses}; ready: {Ready}; started in {Milliseconds:F1} ms")]
    private static partial void LogListening(ILogger logger, string addresses, bool ready, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "memory budget: {Bytes} bytes of reviews in flight ({Source}), {Connections} webhook connections")]
    private static partial void LogBudget(ILogger logger, long bytes, string source, int connections);

    [LoggerMessage(Level = LogLevel.Information, Message = "shutting down: not ready, serving for {Seconds} s more, then draining in-flight reviews")]
    private static partial void LogDraining(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopped")]
    private static partial void LogStopped(ILogger logger);
}
