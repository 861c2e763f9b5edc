using System.Net.Security;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarInjector.Certificates;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Certificates;

/// <summary>The serving certificate from a Secret-like mount: loaded, replaced on rotation, and never replaced by a bad pair.</summary>
public sealed class CertificateStoreTests : IDisposable
{
    private readonly TestCertificates _certificates = new();
    private readonly string _root = Directory.CreateTempSubdirectory("certificate-store").FullName;

    private KubeletMount Mount((string CertPem, string KeyPem, string Thumbprint) pair) =>
        new(Path.Combine(_root, "certs"), new Dictionary<string, string> { ["tls.crt"] = pair.CertPem, ["tls.key"] = pair.KeyPem });

    private static CertificateStore Store(KubeletMount mount, TimeProvider? clock = null) =>
        new(mount.PathOf("tls.crt"), mount.PathOf("tls.key"), [SslApplicationProtocol.Http11], NullLogger.Instance, clock);

    /// <summary>A clock that reads what the test sets.</summary>
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void An_expired_or_not_yet_valid_certificate_never_replaces_the_one_serving()
    {
        var now = DateTimeOffset.UtcNow;
        var good = _certificates.IssueServing();
        using var mount = Mount(good);
        var store = Store(mount);
        Assert.True(store.Reload());
        var serving = store.NotAfter;

        var expired = _certificates.IssueServing(notBefore: now.AddDays(-10), notAfter: now.AddDays(-1));
        mount.Update(new Dictionary<string, string> { ["tls.crt"] = expired.CertPem, ["tls.key"] = expired.KeyPem });
        Assert.False(store.Reload());
        Assert.Contains("expired", store.LastError, StringComparison.Ordinal);
        Assert.Equal(serving, store.NotAfter);

        var future = _certificates.IssueServing(notBefore: now.AddDays(1), notAfter: now.AddDays(30));
        mount.Update(new Dictionary<string, string> { ["tls.crt"] = future.CertPem, ["tls.key"] = future.KeyPem });
        Assert.False(store.Reload());
        Assert.Contains("not valid until", store.LastError, StringComparison.Ordinal);
        Assert.Equal(serving, store.NotAfter);
        Assert.True(store.IsServable);
    }

    [Fact]
    public void At_start_an_expired_certificate_is_not_loaded_and_says_why()
    {
        var now = DateTimeOffset.UtcNow;
        using var mount = Mount(_certificates.IssueServing(notBefore: now.AddDays(-10), notAfter: now.AddMinutes(-1)));
        var store = Store(mount);

        Assert.False(store.Reload());
        Assert.False(store.IsLoaded);
        Assert.False(store.IsServable);
        Assert.Contains("expired", store.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_that_expires_while_serving_is_no_longer_servable()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var mount = Mount(_certificates.IssueServing());
        var store = Store(mount, clock);
        Assert.True(store.Reload());
        Assert.True(store.IsServable);

        clock.Now = clock.Now.AddDays(6);

        Assert.True(store.IsLoaded);
        Assert.False(store.IsServable);
    }

    [Fact]
    public void A_matching_pair_is_loaded_and_served()
    {
        var first = _certificates.IssueServing();
        using var mount = Mount(first);
        var store = Store(mount);

        Assert.True(store.Reload());
        Assert.True(store.IsLoaded);
        Assert.Contains("sidecar-injector.sidecar-injector.svc", store.Subject, StringComparison.Ordinal);
        Assert.True(store.NotAfter > DateTime.UtcNow);
    }

    [Fact]
    public void A_rotation_is_picked_up_and_a_mismatched_pair_keeps_the_old_one()
    {
        var first = _certificates.IssueServing();
        using var mount = Mount(first);
        var store = Store(mount);
        Assert.True(store.Reload());
        var firstExpiry = store.NotAfter;

        var other = _certificates.IssueServing();
        // Half a rotation: the new certificate beside the old key.
        mount.Update(new Dictionary<string, string> { ["tls.crt"] = other.CertPem, ["tls.key"] = first.KeyPem });
        Assert.False(store.Reload());
        Assert.True(store.IsLoaded);
        Assert.NotNull(store.LastError);

        mount.Update(new Dictionary<string, string> { ["tls.crt"] = other.CertPem, ["tls.key"] = other.KeyPem });
        Assert.True(store.Reload());
        Assert.Null(store.LastError);
        Assert.True(store.NotAfter >= firstExpiry);
    }

    [Fact]
    public void Garbage_is_refused_with_a_reason()
    {
        using var mount = new KubeletMount(Path.Combine(_root, "garbage"),
            new Dictionary<string, string> { ["tls.crt"] = "not a certificate", ["tls.key"] = "not a key" });
        var store = Store(mount);

        Assert.False(store.Reload());
        Assert.False(store.IsLoaded);
        Assert.False(string.IsNullOrEmpty(store.LastError));
    }

    public void Dispose()
    {
        _certificates.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
