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

    private static CertificateStore Store(KubeletMount mount) =>
        new(mount.PathOf("tls.crt"), mount.PathOf("tls.key"), [SslApplicationProtocol.Http11], NullLogger.Instance);

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
