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
internal sealed partial class WebhookEndpoint(
    AdmissionHandler handler, long maxRequestBytes, bool noopEndpoint, DrainState drain, ILogger logger,
    RequestBodyBudget? budget = null, ServingProgress? progress = null)
{
    private static readonly byte[] NoopAnswer =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"\",\"allowed\":true}}"u8.ToArray();

    /// <summary>A body without Content-Length is reserved in steps of this size as it arrives.</summary>
    private const long ReserveStep = 64 * 1024;

    /// <summary>Bodies up to this size are copied into pooled arrays; larger ones into arrays the GC takes back after a burst.</summary>
    private const int PooledCopyBytes = 1024 * 1024;

    private static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(10);

    private readonly RequestBodyBudget _budget = budget ?? new RequestBodyBudget(long.MaxValue);
    private readonly ServingProgress _progress = progress ?? new ServingProgress(TimeProvider.System);

    /// <summary>The level is fixed at start, so the per-review question is asked once, not per review.</summary>
    private readonly bool _logDecisions = logger.IsEnabled(LogLevel.Debug);

    private long _refusedSinceLog;
    private long _lastRefusalLog = long.MinValue;

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
        if (path == "/livez")
        {
            // The liveness self-check's request: through TLS and Kestrel, no admission work.
            await WriteText(context, StatusCodes.Status200OK, "ok");
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
            // Not drained: the connection closes instead of reading megabytes to throw away.
            context.Response.Headers.Connection = "close";
            await Reject(context, StatusCodes.Status413PayloadTooLarge, "request_too_large",
                $"request body of {request.ContentLength} bytes is over the limit of {maxRequestBytes}");
            return;
        }

        // The body counts against the memory budget from before it is read until its answer is written.
        long reserved = request.ContentLength ?? 0;
        if (reserved > 0 && !_budget.TryReserve(reserved))
        {
            await RefuseOverBudget(context, reserved);
            return;
        }
        var reader = request.BodyReader;
        ReadResult read = default;
        bool bodyHeld = false;
        // The body once it spans more than one read: moved out of the connection's pipe as it
        // arrives, so that the pipe (Kestrel's pinned buffers, which it keeps for reuse) never holds
        // more than one read of it, and a large review is held once, not in the pipe and a copy.
        byte[]? copy = null;
        int copied = 0;
        try
        {
            while (true)
            {
                read = await reader.ReadAsync(context.RequestAborted);
                bodyHeld = true;
                var buffer = read.Buffer;
                long length = copied + buffer.Length;
                if (length > maxRequestBytes)
                {
                    context.Response.Headers.Connection = "close";
                    await Reject(context, StatusCodes.Status413PayloadTooLarge, "request_too_large",
                        $"request body is over the limit of {maxRequestBytes} bytes");
                    return;
                }
                if (length > reserved)
                {
                    // No Content-Length (chunked): the reservation grows with what has arrived.
                    long more = Math.Min(maxRequestBytes, length + ReserveStep) - reserved;
                    if (!_budget.TryReserve(more, held: reserved))
                    {
                        await RefuseOverBudget(context, length);
                        return;
                    }
                    reserved += more;
                }
                // Not IsCanceled: Kestrel cancels a pending read when it begins a graceful stop, and the
                // rest of the body is still coming. Only the end of the body ends the loop.
                if (read.IsCompleted && copy is null)
                {
                    // All of it in one read (the usual review of a few kilobytes): used where it is.
                    break;
                }
                if (!buffer.IsEmpty)
                {
                    copy = WithRoom(copy, copied, length, request.ContentLength);
                    buffer.CopyTo(copy.AsSpan(copied));
                    copied = (int)length;
                }
                reader.AdvanceTo(buffer.End);
                bodyHeld = false;
                if (read.IsCompleted)
                {
                    break;
                }
            }

            ReadOnlySpan<byte> span;
            if (copy is not null)
            {
                span = copy.AsSpan(0, copied);
            }
            else if (read.Buffer.IsSingleSegment)
            {
                span = read.Buffer.FirstSpan;
            }
            else
            {
                int length = (int)read.Buffer.Length;
                copy = Allocate(length);
                read.Buffer.CopyTo(copy);
                span = copy.AsSpan(0, length);
            }
            if (span.IsEmpty)
            {
                await Reject(context, StatusCodes.Status400BadRequest, "empty_body", "no body found: expected an AdmissionReview");
                return;
            }
            await Respond(context, span, path, started);
        }
        catch (BadHttpRequestException e)
        {
            await Reject(context, e.StatusCode, e.StatusCode == 413 ? "request_too_large" : "bad_request", e.Message);
        }
        catch (OperationCanceledException)
        {
            InjectorMetrics.Failure("client_aborted");
        }
        catch (OutOfMemoryException)
        {
            // The budget is an estimate: a review that still finds no memory fails alone, the process stays.
            await RefuseOutOfMemory(context);
        }
        finally
        {
            if (bodyHeld)
            {
                reader.AdvanceTo(read.Buffer.End);
            }
            if (copy is not null)
            {
                Release(copy);
            }
            _budget.Release(reserved);
        }
    }

    /// <summary>
    /// Large bodies are rare: pooling their arrays would keep megabytes after a burst, so only small
    /// ones come from the pool (and go back to it: see <see cref="Release"/>).
    /// </summary>
    private static byte[] Allocate(int length) =>
        length <= PooledCopyBytes ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);

    private static void Release(byte[] array)
    {
        if (array.Length <= PooledCopyBytes)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    /// <summary>A buffer holding <paramref name="copied"/> bytes with room for <paramref name="needed"/>: the declared length at once, else doubling.</summary>
    private byte[] WithRoom(byte[]? current, int copied, long needed, long? declared)
    {
        if (current is not null && current.Length >= needed)
        {
            return current;
        }
        long size = declared is long d && d >= needed ? d : Math.Min(maxRequestBytes, Math.Max(needed, (current?.Length ?? 16 * 1024) * 2L));
        var grown = Allocate((int)size);
        if (current is not null)
        {
            current.AsSpan(0, copied).CopyTo(grown);
            Release(current);
        }
        return grown;
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
            _progress.Begin();
            try
            {
                result = handler.Handle(body, path, output, AcceptEncoding.AllowsGzip(context.Request.Headers.AcceptEncoding));
            }
            catch (AdmissionDecodeException e)
            {
                return Reject(context, StatusCodes.Status400BadRequest, "decode_error", e.Message);
            }
            catch (NotReadyException e)
            {
                return Reject(context, StatusCodes.Status503ServiceUnavailable, "not_ready", e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                // A bug of ours, not a bad pod: HTTP 500, so the webhook's failurePolicy decides, counted
                // and logged with its stack instead of a denial that would blame the pod.
                InjectorMetrics.Failure("internal_error");
                LogInternalError(logger, e);
                return WriteText(context, StatusCodes.Status500InternalServerError,
                    "internal error in sidecar-injector (a bug, not a problem with the pod): " + e.GetType().Name);
            }
            finally
            {
                _progress.End();
            }
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            switch (result.Outcome)
            {
                case InjectionOutcome.Injected:
                    InjectorMetrics.Injected(seconds, result.Path);
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
            else if (result.Warnings is { } warnings)
            {
                // Injected, but something the user configured was ignored: said to them (kubectl prints
                // the response's warnings) and here, whatever the log level of decisions.
                LogWarnings(logger, result.Request.Namespace, result.Pod, result.Uid(body), string.Join("; ", warnings), result.Rule);
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
            if (result.Gzipped)
            {
                response.Headers.ContentEncoding = "gzip";
            }
            // Headers first, then the answer into one span of the connection's pipe: written before the
            // start, Kestrel copies it over in 4 KB blocks, each its own TLS record (three for an 8.8 KB
            // answer, where this sends two). Starting is synchronous unless an OnStarting callback waits.
            var start = response.StartAsync();
            if (!start.IsCompletedSuccessfully)
            {
                // The thread's buffer is not ours across an await: the answer goes with a copy.
                return WriteWhenStarted(response, start, output.WrittenSpan.ToArray());
            }
            WriteInOneSpan(response.BodyWriter, output.WrittenSpan);
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

    /// <summary>One TLS record holds at most 16 KB: a larger answer is split whatever we do.</summary>
    private const int OneRecordBytes = 16 * 1024;

    /// <summary>
    /// Copied into Kestrel's pipe now; Kestrel flushes when the request completes, so no await is needed.
    /// Up to one record's size the pipe lends one span (from the shared array pool, past its 4 KB
    /// blocks); a larger answer goes in blocks, so that no large array is kept in the pool after it.
    /// </summary>
    private static void WriteInOneSpan(PipeWriter writer, ReadOnlySpan<byte> answer)
    {
        if (answer.Length > OneRecordBytes)
        {
            writer.Write(answer);
            return;
        }
        var span = writer.GetSpan(answer.Length);
        answer.CopyTo(span);
        writer.Advance(answer.Length);
    }

    private static async Task WriteWhenStarted(HttpResponse response, Task start, byte[] answer)
    {
        await start;
        WriteInOneSpan(response.BodyWriter, answer);
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

    /// <summary>
    /// Over the memory budget: HTTP 429 at once, so the apiserver's failurePolicy decides now instead of
    /// after a timeout. An unread large body is not drained (the connection closes instead). Logged at
    /// most every 10 s with a count: a flood must not also flood the log.
    /// </summary>
    private Task RefuseOverBudget(HttpContext context, long bodyBytes)
    {
        InjectorMetrics.Failure("memory_budget");
        long refused = Interlocked.Increment(ref _refusedSinceLog);
        long now = Stopwatch.GetTimestamp();
        long last = Volatile.Read(ref _lastRefusalLog);
        if ((last == long.MinValue || Stopwatch.GetElapsedTime(last, now) >= RefusalLogInterval)
            && Interlocked.CompareExchange(ref _lastRefusalLog, now, last) == last)
        {
            Interlocked.Add(ref _refusedSinceLog, -refused);
            LogOverBudget(logger, refused, _budget.InFlightBytes, _budget.LimitBytes);
        }
        var response = context.Response;
        response.Headers.RetryAfter = "1";
        if (bodyBytes > ReserveStep || context.Request.ContentLength is null)
        {
            response.Headers.Connection = "close";
        }
        return WriteText(context, StatusCodes.Status429TooManyRequests,
            $"busy: {_budget.InFlightBytes} bytes of reviews are being answered, the budget is {_budget.LimitBytes} (--max-inflight-bytes); retry");
    }

    private Task RefuseOutOfMemory(HttpContext context)
    {
        InjectorMetrics.Failure("out_of_memory");
        LogOutOfMemory(logger, _budget.InFlightBytes);
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }
        context.Response.Clear();
        context.Response.Headers.Connection = "close";
        return WriteText(context, StatusCodes.Status503ServiceUnavailable,
            "out of memory answering this review; the injector keeps serving others (lower --max-inflight-bytes, or raise the memory limit)");
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused {Count} reviews with HTTP 429: {InFlight} bytes of reviews in flight, budget {Limit} bytes (--max-inflight-bytes)")]
    private static partial void LogOverBudget(ILogger logger, long count, long inFlight, long limit);

    [LoggerMessage(Level = LogLevel.Error, Message = "out of memory answering a review (HTTP 503); {InFlight} bytes of reviews in flight")]
    private static partial void LogOutOfMemory(ILogger logger, long inFlight);

    [LoggerMessage(Level = LogLevel.Warning, Message = "review rejected with HTTP {Status}: {Message}")]
    private static partial void LogRejected(ILogger logger, int status, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pod {Namespace}/{Pod} (uid {Uid}) denied: {Message} (injection wanted: {Rule})")]
    private static partial void LogDenied(ILogger logger, string @namespace, string pod, string uid, string message, string rule);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pod {Namespace}/{Pod} (uid {Uid}) injected with warnings: {Warnings} ({Rule})")]
    private static partial void LogWarnings(ILogger logger, string @namespace, string pod, string uid, string warnings, string rule);

    [LoggerMessage(Level = LogLevel.Debug, Message = "pod {Namespace}/{Pod} (uid {Uid}) {Outcome}: {Rule}")]
    private static partial void LogDecision(ILogger logger, string @namespace, string pod, string uid, string outcome, string rule);
}
