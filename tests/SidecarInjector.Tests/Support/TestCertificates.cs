using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SidecarInjector.Tests.Support;

/// <summary>A throw-away CA and serving certificates signed by it, as cert-manager would issue them.</summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCertificates()
    {
        var request = new CertificateRequest("CN=sidecar-injector test CA", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        // Wide enough for leaves that are already expired or not yet valid.
        Ca = request.CreateSelfSigned(now.AddDays(-30), now.AddDays(60));
    }

    public X509Certificate2 Ca { get; }

    /// <summary>A leaf for the webhook Service name and loopback; returns (certificate PEM with chain, key PEM, thumbprint).</summary>
    public (string CertPem, string KeyPem, string Thumbprint) IssueServing(string commonName = "sidecar-injector.sidecar-injector.svc",
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(commonName);
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        var now = DateTimeOffset.UtcNow;
        using var leaf = request.Create(Ca, notBefore ?? now.AddMinutes(-5), notAfter ?? now.AddDays(5), serial);
        var certPem = leaf.ExportCertificatePem() + "\n" + Ca.ExportCertificatePem() + "\n";
        return (certPem, key.ExportPkcs8PrivateKeyPem(), leaf.Thumbprint);
    }

    public void Dispose()
    {
        Ca.Dispose();
        _caKey.Dispose();
    }
}
