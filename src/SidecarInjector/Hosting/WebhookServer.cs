using System.Net;
using System.Net.Security;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
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
        var loggerFactory = ConsoleLog.CreateFactory(level, logOutput ?? Console.Out, options.JsonLogs);
        var log = loggerFactory.CreateLogger("SidecarInjector");

        // The empty builder: everything comes from the command line, so none of the slim builder's
        // appsettings*.json sources (and the file watcher on the working directory they start).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddSingleton(loggerFactory);
        // The delay runs inside the host's stop, so the timeout covers both.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddSingleton<IHostLifetime, ExternallyStoppedLifetime>();

        var exporter = new PrometheusExporter();
        var configStore = new ConfigStore(
            options.ConfigDir is null ? ConfigLoader.ReadEmbeddedDefault : () => ConfigLoader.ReadDirectory(options.ConfigDir),
            loggerFactory.CreateLogger("SidecarInjector.Config"));
        var alpn = options.EnableHttp2
            ? new List<SslApplicationProtocol> { SslApplicationProtocol.Http2, SslApplicationProtocol.Http11 }
            : new List<SslApplicationProtocol> { SslApplicationProtocol.Http11 };
        var certLogger = loggerFactory.CreateLogger("SidecarInjector.Certificates");
        var certificates = options.Dev
            ? new CertificateStore(alpn, certLogger)
            : new CertificateStore(options.TlsCertFile, options.TlsKeyFile, alpn, certLogger);
        // Config and certificate load while the host is built and binds: neither needs the other,
        // and readiness waits for both anyway.
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

        var handler = new AdmissionHandler(() => configStore.Current, options.Revision);
        var drain = new DrainState();
        var webhook = new WebhookEndpoint(handler, options.MaxRequestBytes, options.NoopEndpoint, drain, loggerFactory.CreateLogger("SidecarInjector.Webhook"));
        var admin = new AdminEndpoint(configStore, certificates, exporter, drain);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(90);
            Listen(kestrel, options.ListenAddress, options.Port, listen =>
            {
                listen.Protocols = options.EnableHttp2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                // Before TLS, so that a connection over the cap costs no handshake.
                listen.Use(ConnectionCap.Middleware(options.MaxConnections));
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => certificates.ForNextHandshake(),
                    HandshakeTimeout = TimeSpan.FromSeconds(10),
                });
            });
            Listen(kestrel, options.ListenAddress, options.AdminPort, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        app.Run(context => context.Request.IsHttps ? webhook.HandleAsync(context) : admin.HandleAsync(context));

        var configWatcher = options.ConfigDir is null
            ? null
            : new MountWatcher(options.ConfigDir, () => configStore.Reload(), WatchDebounce, options.PollInterval);
        var certWatchers = options.Dev
            ? null
            : new CertificateWatchers(options, certificates, options.PollInterval);

        try
        {
            await app.StartAsync();
        }
        catch
        {
            // Nothing listens (a port in use, say): release what was started before the caller reports it.
            await app.DisposeAsync();
            configWatcher?.Dispose();
            certWatchers?.Dispose();
            exporter.Dispose();
            loggerFactory.Dispose();
            throw;
        }
        await loading;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var startupMilliseconds = System.Diagnostics.Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds;
        var listening = string.Join(", ", addresses);
        LogListening(log, listening, admin.IsReady, startupMilliseconds);
        return new RunningServer(app, [.. addresses], () =>
        {
            // Still serving, no longer ready: the Service drops this pod before the listener closes.
            drain.Begin();
            LogDraining(log, options.ShutdownDelay.TotalSeconds);
            return options.ShutdownDelay;
        }, () =>
        {
            configWatcher?.Dispose();
            certWatchers?.Dispose();
            exporter.Dispose();
            LogStopped(log);
            loggerFactory.Dispose();
        });
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

    [LoggerMessage(Level = LogLevel.Information, Message = "shutting down: not ready, serving for {Seconds} s more, then draining in-flight reviews")]
    private static partial void LogDraining(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopped")]
    private static partial void LogStopped(ILogger logger);
}
