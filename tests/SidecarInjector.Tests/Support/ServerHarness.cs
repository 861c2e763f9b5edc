using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SidecarInjector.CommandLine;
using SidecarInjector.Configuration;
using SidecarInjector.Hosting;

namespace SidecarInjector.Tests.Support;

/// <summary>
/// A real server on loopback: Kestrel with a CA-signed certificate from a Secret-like mount and a
/// config from a ConfigMap-like mount, called by real HTTP clients that verify the chain.
/// </summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    private readonly string _root;

    private ServerHarness(string root, TestCertificates certificates, KubeletMount secret, KubeletMount? config, RunningServer server, string thumbprint)
    {
        _root = root;
        Certificates = certificates;
        Secret = secret;
        ConfigMount = config;
        Server = server;
        ServingThumbprint = thumbprint;
    }

    public TestCertificates Certificates { get; }
    public KubeletMount Secret { get; }
    public KubeletMount? ConfigMount { get; }
    public RunningServer Server { get; }
    public string ServingThumbprint { get; private set; }
    public int WebhookPort => Server.Port("https");
    public int AdminPort => Server.Port("http");

    public static Dictionary<string, string> DefaultConfigFiles()
    {
        var files = ConfigLoader.ReadEmbeddedDefault();
        return new()
        {
            ["config"] = Encoding.UTF8.GetString(files.Config),
            ["values"] = Encoding.UTF8.GetString(files.Values!),
        };
    }

    public static async Task<ServerHarness> StartAsync(
        Func<ServeOptions, ServeOptions>? customize = null,
        Dictionary<string, string>? configFiles = null,
        bool createConfig = true,
        TextWriter? log = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "sidecar-injector-tests", Guid.NewGuid().ToString("N"));
        var certificates = new TestCertificates();
        var (certPem, keyPem, thumbprint) = certificates.IssueServing();
        var secret = new KubeletMount(Path.Combine(root, "certs"), new Dictionary<string, string> { ["tls.crt"] = certPem, ["tls.key"] = keyPem });
        var configDir = Path.Combine(root, "config");
        var config = createConfig ? new KubeletMount(configDir, configFiles ?? DefaultConfigFiles()) : null;
        var options = new ServeOptions
        {
            Port = 0,
            AdminPort = 0,
            ListenAddress = "127.0.0.1",
            TlsCertFile = secret.PathOf("tls.crt"),
            TlsKeyFile = secret.PathOf("tls.key"),
            ConfigDir = configDir,
            LogLevel = "Warning",
            ShutdownDelay = TimeSpan.Zero,
        };
        options = customize?.Invoke(options) ?? options;
        var server = await WebhookServer.StartAsync(options, Stopwatch.GetTimestamp(), log);
        return new ServerHarness(root, certificates, secret, config, server, thumbprint);
    }

    public void RotateCertificate()
    {
        var (certPem, keyPem, thumbprint) = Certificates.IssueServing();
        Secret.Update(new Dictionary<string, string> { ["tls.crt"] = certPem, ["tls.key"] = keyPem });
        ServingThumbprint = thumbprint;
    }

    /// <summary>An HTTPS client that trusts only the test CA and counts the connections it opens.</summary>
    public HttpClient WebhookClient(out ConnectionCounter connections, SslProtocols protocols = SslProtocols.None,
        Version? version = null, Action<X509Certificate2>? onServerCertificate = null)
    {
        var counter = new ConnectionCounter();
        connections = counter;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, token) =>
            {
                Interlocked.Increment(ref counter.Opened);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = protocols,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => IssuedByTestCa(certificate, onServerCertificate),
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{WebhookPort}") };
        if (version is not null)
        {
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
        return client;
    }

    /// <summary>Whether the server's certificate chains to the test CA (and only to it).</summary>
    public bool IssuedByTestCa(X509Certificate? certificate, Action<X509Certificate2>? onServerCertificate = null)
    {
        if (certificate is null)
        {
            return false;
        }
        var leaf = new X509Certificate2(certificate);
        onServerCertificate?.Invoke(leaf);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificates.Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    public HttpClient AdminClient() => new() { BaseAddress = new Uri($"http://127.0.0.1:{AdminPort}") };

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Certificates.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes; never sleeps blindly.</summary>
    public static async Task<bool> Eventually(Func<Task<bool>> condition, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(50);
        }
        return await condition();
    }
}

internal sealed class ConnectionCounter
{
    public int Opened;
}
