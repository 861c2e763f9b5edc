using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SidecarInjector.Metrics;

namespace SidecarInjector.Certificates;

/// <summary>
/// The serving certificate, as TLS options built once per certificate version (the chain is
/// resolved up front in an <see cref="SslStreamCertificateContext"/>) and swapped atomically.
/// A half-rotated pair (key and cert not matching yet) keeps the previous one.
/// </summary>
/// <remarks>
/// Building the context resolves the chain with <see cref="X509Chain"/>, and the first chain build
/// in a process reads the whole system trust store (about 50 ms for ~300 CA files, more than the
/// rest of start-up together). The injector never needs that store, so the pair is checked at once
/// (that is what makes it "loaded" and the pod ready) and the context is built in the background;
/// a handshake that arrives before it is done waits for it.
/// </remarks>
internal sealed partial class CertificateStore
{
    private readonly string? _certFile;
    private readonly string? _keyFile;
    private readonly ILogger _logger;
    private readonly Lock _reloadLock = new();
    private Task<SslServerAuthenticationOptions>? _current;
    private string? _lastSeen;

    private readonly List<SslApplicationProtocol> _alpn;

    private readonly TimeProvider _clock;

    public CertificateStore(string certFile, string keyFile, List<SslApplicationProtocol> alpn, ILogger logger, TimeProvider? clock = null)
    {
        _alpn = alpn;
        _certFile = certFile;
        _keyFile = keyFile;
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>A store that serves one fixed certificate (the --dev self-signed one) and never reloads.</summary>
    public CertificateStore(List<SslApplicationProtocol> alpn, ILogger logger)
    {
        _alpn = alpn;
        _logger = logger;
        _clock = TimeProvider.System;
    }

    /// <summary>Serves <paramref name="certificate"/> from now on (for the --dev store).</summary>
    public void Use(X509Certificate2 certificate)
    {
        NotAfter = certificate.NotAfter.ToUniversalTime();
        InjectorMetrics.CertificateExpires(NotAfter);
        Subject = certificate.Subject;
        Thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        Volatile.Write(ref _current, BuildOptionsInBackground(certificate, [], _alpn));
    }

    /// <summary>Whether a valid pair is loaded (its TLS context may still be in the making).</summary>
    public bool IsLoaded => Volatile.Read(ref _current) is not null;

    /// <summary>
    /// Whether what is loaded can serve now: loaded and not expired. A certificate that expires while
    /// it serves makes every apiserver call fail its TLS check, so readiness says so instead of 200.
    /// </summary>
    public bool IsServable => IsLoaded && NotAfter > _clock.GetUtcNow().UtcDateTime;

    /// <summary>The TLS options for a new connection; waits only if the context is still being built.</summary>
    public ValueTask<SslServerAuthenticationOptions> ForNextHandshake() => Volatile.Read(ref _current) is { } current
        ? new ValueTask<SslServerAuthenticationOptions>(current)
        : ValueTask.FromException<SslServerAuthenticationOptions>(new InvalidOperationException("no serving certificate loaded"));

    public DateTime NotAfter { get; private set; }
    public string Subject { get; private set; } = "";
    /// <summary>SHA-256 of the certificate being served: how the liveness self-check knows it reached this process.</summary>
    public string Thumbprint { get; private set; } = "";
    public string? LastError { get; private set; }

    /// <summary>Re-reads the files; swaps when their content changed and the pair is valid.</summary>
    public bool Reload()
    {
        if (_certFile is null || _keyFile is null)
        {
            return false;
        }
        lock (_reloadLock)
        {
            string certPem, keyPem;
            try
            {
                certPem = File.ReadAllText(_certFile);
                keyPem = File.ReadAllText(_keyFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail(e.Message);
            }
            var seen = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(certPem + "\0" + keyPem)));
            if (seen == _lastSeen)
            {
                return false;
            }
            try
            {
                var leaf = X509Certificate2.CreateFromPem(certPem, keyPem);
                // An expired or not-yet-valid certificate never replaces the one serving (a rotation
                // that wrote a stale Secret, a clock skew): the apiserver would refuse every handshake.
                var now = _clock.GetUtcNow().UtcDateTime;
                if (leaf.NotAfter.ToUniversalTime() <= now)
                {
                    return Fail($"certificate {leaf.Subject} expired at {leaf.NotAfter.ToUniversalTime():u}");
                }
                if (leaf.NotBefore.ToUniversalTime() > now)
                {
                    return Fail($"certificate {leaf.Subject} is not valid until {leaf.NotBefore.ToUniversalTime():u}");
                }
                var chain = new X509Certificate2Collection();
                chain.ImportFromPem(certPem);
                var intermediates = new X509Certificate2Collection();
                foreach (var cert in chain)
                {
                    if (cert.Thumbprint != leaf.Thumbprint)
                    {
                        intermediates.Add(cert);
                    }
                }
                _lastSeen = seen;
                Volatile.Write(ref _current, BuildOptionsInBackground(leaf, intermediates, _alpn));
                NotAfter = leaf.NotAfter.ToUniversalTime();
                Subject = leaf.Subject;
                Thumbprint = leaf.GetCertHashString(HashAlgorithmName.SHA256);
                InjectorMetrics.CertificateExpires(NotAfter);
                LastError = null;
                InjectorMetrics.CertificateReloaded(success: true);
                LogLoaded(_logger, leaf.Subject, leaf.NotAfter, leaf.Thumbprint);
                return true;
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                // Expected for a moment during rotation, when one file is new and the other old.
                return Fail("certificate and key do not form a valid pair yet: " + e.Message);
            }
        }
    }

    private bool Fail(string message)
    {
        LastError = message;
        InjectorMetrics.CertificateReloaded(success: false);
        LogFailed(_logger, message, _current is not null);
        return false;
    }

    private static Task<SslServerAuthenticationOptions> BuildOptionsInBackground(
        X509Certificate2 leaf, X509Certificate2Collection intermediates, List<SslApplicationProtocol> alpn) =>
        Task.Run(() => BuildOptions(leaf, intermediates, alpn));

    // ALPN is set here, not left to Kestrel, so that the shared options object is never mutated per handshake.
    private static SslServerAuthenticationOptions BuildOptions(X509Certificate2 leaf, X509Certificate2Collection intermediates, List<SslApplicationProtocol> alpn) => new()
    {
        ApplicationProtocols = alpn,
        ServerCertificateContext = SslStreamCertificateContext.Create(leaf, intermediates, offline: true),
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "serving certificate loaded: {Subject}, valid until {NotAfter:u}, thumbprint {Thumbprint}")]
    private static partial void LogLoaded(ILogger logger, string subject, DateTime notAfter, string thumbprint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "serving certificate not loaded (keeping the previous one: {HasPrevious}): {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason, bool hasPrevious);
}
