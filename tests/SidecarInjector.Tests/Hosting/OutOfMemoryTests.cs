using Microsoft.Extensions.Logging;
using SidecarInjector.Answer;
using SidecarInjector.Hosting;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>Out of memory while answering one review is that review's failure (503), not a bug report and not the process's end.</summary>
public sealed class OutOfMemoryTests
{
    [Fact]
    public async Task The_review_gets_503_the_log_says_why_and_the_endpoint_keeps_answering()
    {
        var log = new StringWriter();
        using var loggers = ConsoleLog.CreateFactory(LogLevel.Information, TextWriter.Synchronized(log));
        int calls = 0;
        // The runtime's exception is what is simulated.
#pragma warning disable CA2201
        var handler = new AdmissionHandler(() => Interlocked.Increment(ref calls) == 1 ? throw new OutOfMemoryException() : null, "default");
#pragma warning restore CA2201
        var budget = new RequestBodyBudget(1024 * 1024);
        var endpoint = new WebhookEndpoint(handler, 7 * 1024 * 1024, noopEndpoint: false, new DrainState(),
            loggers.CreateLogger("SidecarInjector.Webhook"), budget);

        var (status, text) = await EndpointCall.PostSampleReview(endpoint);

        Assert.Equal(503, status);
        Assert.Contains("out of memory", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"allowed\"", text, StringComparison.Ordinal);
        Assert.Contains("out of memory answering a review", log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", log.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, budget.InFlightBytes);

        // The next review is answered as usual (no config loaded yet: 503 not ready, from the handler).
        var (next, _) = await EndpointCall.PostSampleReview(endpoint);
        Assert.Equal(503, next);
        Assert.Equal(2, calls);
    }
}
