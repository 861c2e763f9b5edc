using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace SidecarInjector.Hosting;

/// <summary>
/// Every interval, one request through the real webhook listener, as the apiserver would make it:
/// TCP connect, TLS handshake, <c>GET /livez</c>, status line. A failure counts against
/// <see cref="Liveness"/> unless the connection cap refused connections meanwhile (the port is full,
/// not dead: restarting would not help). A TCP connect alone would not do: the kernel completes it
/// from the listen backlog even when nothing accepts.
/// </summary>
internal sealed partial class ListenerSelfCheck : IDisposable
{
    /// <summary>The apiserver's own default webhook timeout: slower than this, it would fail too.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private static readonly byte[] Request = "GET /livez HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"u8.ToArray();

    private readonly IPEndPoint _target;
    private readonly Func<string> _servedThumbprint;
    private readonly Liveness _liveness;
    private readonly ConnectionCap _cap;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly TimeSpan _timeout;

    public ListenerSelfCheck(IPEndPoint target, Func<string> servedThumbprint, TimeSpan interval, Liveness liveness, ConnectionCap cap, ILogger logger,
        TimeSpan? timeout = null)
    {
        _timeout = timeout ?? DefaultTimeout;
        _target = target;
        _servedThumbprint = servedThumbprint;
        _liveness = liveness;
        _cap = cap;
        _logger = logger;
        // An infinite interval: checks only when called (tests).
        _loop = interval == System.Threading.Timeout.InfiniteTimeSpan ? Task.CompletedTask : RunAsync(interval);
    }

    /// <summary>Where to reach a listener bound to <paramref name="listenAddress"/> ("" is every address: loopback).</summary>
    public static IPEndPoint TargetFor(string listenAddress, int port)
    {
        if (string.IsNullOrEmpty(listenAddress))
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }
        var address = IPAddress.Parse(listenAddress);
        if (address.Equals(IPAddress.Any))
        {
            address = IPAddress.Loopback;
        }
        else if (address.Equals(IPAddress.IPv6Any))
        {
            address = IPAddress.IPv6Loopback;
        }
        return new IPEndPoint(address, port);
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await CheckOnceAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    /// <summary>One check; its result goes to <see cref="Liveness"/>.</summary>
    public async Task CheckOnceAsync()
    {
        long refusedBefore = _cap.Refused;
        string? error = await TryRequestAsync();
        if (error is null)
        {
            _liveness.SelfCheckPassed();
            return;
        }
        if (_cap.Refused != refusedBefore)
        {
            // Full, and the accept loop is running (it just refused connections): not a failure.
            LogFull(_logger, error);
            return;
        }
        _liveness.SelfCheckFailed(error);
        LogFailed(_logger, _target.ToString(), error);
    }

    private async Task<string?> TryRequestAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(_timeout);
        try
        {
            using var socket = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(_target, timeout.Token);
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                // Our own listener: the certificate must be the one this process serves (its
                // expiry and chain are readiness's business, not liveness's).
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null
                    && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), _servedThumbprint(), StringComparison.OrdinalIgnoreCase),
            }, timeout.Token);
            await tls.WriteAsync(Request, timeout.Token);
            var buffer = new byte[64];
            int read = 0;
            while (read < 12)
            {
                int n = await tls.ReadAsync(buffer.AsMemory(read), timeout.Token);
                if (n == 0)
                {
                    break;
                }
                read += n;
            }
            var statusLine = Encoding.ASCII.GetString(buffer, 0, read);
            return statusLine.StartsWith("HTTP/1.1 200", StringComparison.Ordinal)
                ? null
                : "unexpected answer: " + (read == 0 ? "connection closed" : statusLine.Split('\r')[0]);
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            return $"no answer within {_timeout.TotalSeconds:F1} s";
        }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
            return e.Message;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(1));
        }
        catch (AggregateException)
        {
            // The loop ends by cancellation.
        }
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook self-check through {Target} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string target, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "webhook self-check refused by the connection cap (the port is full, not dead): {Error}")]
    private static partial void LogFull(ILogger logger, string error);
}
