using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

// The baseline of perf/ready-time.py: what any injector built to the design card starts with, and
// nothing else. The empty builder; Kestrel with TLS on one port and plain HTTP on the other; the
// certificate read from the same PEM files off the main thread, its TLS context built after it in the
// background, as the injector does (the first chain build reads the system trust store, ~50 ms, and a
// handshake that comes first waits for it); 200 on every plain-HTTP request once Kestrel listens and
// the certificate is loaded. No config, logging, routing, metrics or cluster. It takes the injector's
// `serve` flags and ignores the ones it has no use for.

string Flag(string name) => args[Array.IndexOf(args, name) + 1];

int port = int.Parse(Flag("--port"), System.Globalization.CultureInfo.InvariantCulture);
int adminPort = int.Parse(Flag("--admin-port"), System.Globalization.CultureInfo.InvariantCulture);
var certificate = Task.Run(() => X509Certificate2.CreateFromPemFile(Flag("--tls-cert-file"), Flag("--tls-key-file")));
var tls = certificate.ContinueWith(loaded => new SslServerAuthenticationOptions
{
    ServerCertificateContext = SslStreamCertificateContext.Create(loaded.Result, null, offline: true),
}, TaskScheduler.Default);

var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [] });
builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
{
    kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(new TlsHandshakeCallbackOptions
    {
        OnConnection = _ => new ValueTask<SslServerAuthenticationOptions>(tls),
    }));
    kestrel.Listen(IPAddress.Loopback, adminPort, listen => listen.Protocols = HttpProtocols.Http1);
});
var app = builder.Build();
app.Run(context =>
{
    context.Response.StatusCode = certificate.IsCompletedSuccessfully ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
    return Task.CompletedTask;
});
app.Run();
