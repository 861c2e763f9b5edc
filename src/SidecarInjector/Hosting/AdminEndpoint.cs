using Microsoft.AspNetCore.Http;
using SidecarInjector.Certificates;
using SidecarInjector.Configuration;
using SidecarInjector.Json;
using SidecarInjector.Metrics;

namespace SidecarInjector.Hosting;

/// <summary>
/// The plain-HTTP side: liveness (the webhook listener accepts and answers, reviews make progress),
/// readiness (config and certificate loaded, listener alive, not shutting down) and metrics.
/// </summary>
internal sealed class AdminEndpoint(ConfigStore config, CertificateStore certificates, PrometheusExporter exporter, DrainState drain, Liveness liveness)
{
    public Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.Headers.Allow = "GET, HEAD";
            return Text(context, StatusCodes.Status405MethodNotAllowed, "only GET is allowed");
        }
        switch (path)
        {
            case "/healthz":
                return Health(context);
            case "/readyz":
                return Readiness(context);
            case "/metrics":
                return WriteMetrics(context);
            default:
                return Text(context, StatusCodes.Status404NotFound, "not found: /healthz, /readyz, /metrics");
        }
    }

    public bool IsReady => !drain.Draining && config.Current is not null && certificates.IsServable && !liveness.ListenerDead;

    private Task Health(HttpContext context)
    {
        var problems = liveness.Problems();
        return problems.Count == 0
            ? Text(context, StatusCodes.Status200OK, "ok")
            : Text(context, StatusCodes.Status500InternalServerError, string.Join("\n", problems));
    }

    private Task Readiness(HttpContext context)
    {
        if (IsReady)
        {
            return Text(context, StatusCodes.Status200OK, "ok: config " + config.Current!.Version);
        }
        var reasons = new List<string>();
        if (drain.Draining)
        {
            reasons.Add("shutting down");
        }
        if (liveness.ListenerDead)
        {
            reasons.AddRange(liveness.Problems());
        }
        if (config.Current is null)
        {
            reasons.Add("no valid injector config: " + (config.LastError ?? "not loaded yet"));
        }
        if (!certificates.IsLoaded)
        {
            reasons.Add("no serving certificate: " + (certificates.LastError ?? "not loaded yet"));
        }
        else if (!certificates.IsServable)
        {
            reasons.Add($"the serving certificate expired at {certificates.NotAfter:u}" +
                (certificates.LastError is { } error ? "; the mounted one is not usable either: " + error : ""));
        }
        return Text(context, StatusCodes.Status503ServiceUnavailable, string.Join("\n", reasons));
    }

    private async Task WriteMetrics(HttpContext context)
    {
        using var buffer = new PooledBufferWriter(16 * 1024);
        exporter.WriteTo(buffer);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.BodyWriter.WriteAsync(buffer.WrittenMemory);
    }

    private static Task Text(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text + "\n");
    }
}
