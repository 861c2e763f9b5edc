using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SidecarInjector.Answer;
using SidecarInjector.Errors;
using SidecarInjector.Json;
using SidecarInjector.Metrics;

namespace SidecarInjector.Hosting;

/// <summary>
/// The HTTPS side: checks method, content type and size, reads the body into one span, runs the
/// <see cref="AdmissionHandler"/>, and writes its answer with a Content-Length (keep-alive friendly).
/// </summary>
internal sealed partial class WebhookEndpoint(AdmissionHandler handler, long maxRequestBytes, bool noopEndpoint, DrainState drain, ILogger logger)
{
    private static readonly byte[] NoopAnswer =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"\",\"allowed\":true}}"u8.ToArray();

    /// <summary>The level is fixed at start, so the per-review question is asked once, not per review.</summary>
    private readonly bool _logDecisions = logger.IsEnabled(LogLevel.Debug);

    public async Task HandleAsync(HttpContext context)
    {
        if (drain.Draining)
        {
            // Shutting down: answer this review, then let the apiserver reconnect elsewhere.
            context.Response.Headers.Connection = "close";
        }
        var request = context.Request;
        var path = request.Path.Value ?? "";
        if (noopEndpoint && path == "/noop")
        {
            await Noop(context);
            return;
        }
        if (!(path == "/inject" || path.StartsWith("/inject/", StringComparison.Ordinal)))
        {
            await WriteText(context, StatusCodes.Status404NotFound, "not found: the webhook serves POST /inject");
            return;
        }
        InjectorMetrics.Request();
        long started = Stopwatch.GetTimestamp();
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.Headers.Allow = "POST";
            await Reject(context, StatusCodes.Status405MethodNotAllowed, "method_not_allowed", "only POST is allowed");
            return;
        }
        if (!IsJson(request.ContentType))
        {
            await Reject(context, StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                $"invalid Content-Type '{request.ContentType}', want application/json");
            return;
        }
        if (request.ContentLength > maxRequestBytes)
        {
            await Reject(context, StatusCodes.Status413PayloadTooLarge, "request_too_large",
                $"request body of {request.ContentLength} bytes is over the limit of {maxRequestBytes}");
            return;
        }

        var reader = request.BodyReader;
        ReadResult read;
        try
        {
            while (true)
            {
                read = await reader.ReadAsync(context.RequestAborted);
                if (read.Buffer.Length > maxRequestBytes)
                {
                    reader.AdvanceTo(read.Buffer.End);
                    await Reject(context, StatusCodes.Status413PayloadTooLarge, "request_too_large",
                        $"request body is over the limit of {maxRequestBytes} bytes");
                    return;
                }
                // Not IsCanceled: Kestrel cancels a pending read when it begins a graceful stop, and the
                // rest of the body is still coming. Only the end of the body ends the loop.
                if (read.IsCompleted)
                {
                    break;
                }
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        catch (BadHttpRequestException e)
        {
            await Reject(context, e.StatusCode, e.StatusCode == 413 ? "request_too_large" : "bad_request", e.Message);
            return;
        }
        catch (OperationCanceledException)
        {
            InjectorMetrics.Failure("client_aborted");
            return;
        }

        var body = read.Buffer;
        byte[]? copy = null;
        try
        {
            if (body.Length == 0)
            {
                await Reject(context, StatusCodes.Status400BadRequest, "empty_body", "no body found: expected an AdmissionReview");
                return;
            }
            ReadOnlySpan<byte> span;
            if (body.IsSingleSegment)
            {
                span = body.FirstSpan;
            }
            else
            {
                copy = ArrayPool<byte>.Shared.Rent((int)body.Length);
                body.CopyTo(copy);
                span = copy.AsSpan(0, (int)body.Length);
            }
            await Respond(context, span, path, started);
        }
        finally
        {
            reader.AdvanceTo(body.End);
            if (copy is not null)
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }
    }

    /// <summary>One answer buffer per thread: an answer is written and copied out before the thread moves on.</summary>
    [ThreadStatic]
    private static PooledBufferWriter? t_output;

    /// <summary>A thread keeps its buffer unless one answer made it this large.</summary>
    private const int KeptBufferBytes = 1024 * 1024;

    private Task Respond(HttpContext context, ReadOnlySpan<byte> body, string path, long started)
    {
        var output = t_output ??= new PooledBufferWriter(16 * 1024);
        output.Clear();
        try
        {
            AdmissionHandler.Result result;
            try
            {
                result = handler.Handle(body, path, output);
            }
            catch (AdmissionDecodeException e)
            {
                return Reject(context, StatusCodes.Status400BadRequest, "decode_error", e.Message);
            }
            catch (NotReadyException e)
            {
                return Reject(context, StatusCodes.Status503ServiceUnavailable, "not_ready", e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A bug of ours, not a bad pod: HTTP 500, so the webhook's failurePolicy decides, counted
                // and logged with its stack instead of a denial that would blame the pod.
                InjectorMetrics.Failure("internal_error");
                LogInternalError(logger, e);
                return WriteText(context, StatusCodes.Status500InternalServerError,
                    "internal error in sidecar-injector (a bug, not a problem with the pod): " + e.GetType().Name);
            }
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            switch (result.Outcome)
            {
                case InjectionOutcome.Injected:
                    InjectorMetrics.Injected(seconds);
                    break;
                case InjectionOutcome.Skipped:
                    InjectorMetrics.Skipped(seconds);
                    break;
                default:
                    InjectorMetrics.Denied(result.FailureReason ?? "injection_error", seconds);
                    break;
            }
            if (result.Outcome == InjectionOutcome.Denied)
            {
                var uid = result.Uid(body);
                LogDenied(logger, result.Request.Namespace, result.Pod, uid, result.Message!, result.Rule);
            }
            else if (_logDecisions)
            {
                // Every decision at Debug, so that "why was my pod not injected?" has an answer.
                var outcome = result.Outcome == InjectionOutcome.Injected ? "injected" : "skipped";
                var uid = result.Uid(body);
                LogDecision(logger, result.Request.Namespace, result.Pod, uid, outcome, result.Rule);
            }
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            response.ContentLength = output.WrittenCount;
            // Copied into Kestrel's pipe now; Kestrel flushes when the request completes, so no await is needed.
            response.BodyWriter.Write(output.WrittenSpan);
            return Task.CompletedTask;
        }
        finally
        {
            if (output.Capacity > KeptBufferBytes)
            {
                output.Dispose();
                t_output = null;
            }
        }
    }

    /// <summary>The load-test baseline: the same body read and a same-sized framing, no admission work.</summary>
    private static async Task Noop(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            if (read.IsCompleted)
            {
                reader.AdvanceTo(read.Buffer.End);
                break;
            }
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = NoopAnswer.Length;
        await context.Response.BodyWriter.WriteAsync(NoopAnswer);
    }

    private Task Reject(HttpContext context, int status, string reason, string message)
    {
        InjectorMetrics.Failure(reason);
        LogRejected(logger, status, message);
        return WriteText(context, status, message);
    }

    private static Task WriteText(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n");
    }

    /// <summary>application/json, with or without parameters such as charset.</summary>
    internal static bool IsJson(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }
        var media = contentType.AsSpan();
        int semicolon = media.IndexOf(';');
        if (semicolon >= 0)
        {
            media = media[..semicolon];
        }
        return media.Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "internal error answering a review (HTTP 500; failurePolicy decides)")]
    private static partial void LogInternalError(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "review rejected with HTTP {Status}: {Message}")]
    private static partial void LogRejected(ILogger logger, int status, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pod {Namespace}/{Pod} (uid {Uid}) denied: {Message} (injection wanted: {Rule})")]
    private static partial void LogDenied(ILogger logger, string @namespace, string pod, string uid, string message, string rule);

    [LoggerMessage(Level = LogLevel.Debug, Message = "pod {Namespace}/{Pod} (uid {Uid}) {Outcome}: {Rule}")]
    private static partial void LogDecision(ILogger logger, string @namespace, string pod, string uid, string outcome, string rule);
}
