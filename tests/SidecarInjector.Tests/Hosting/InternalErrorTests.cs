using System.Text;
using Microsoft.Extensions.Logging;
using SidecarInjector.Answer;
using SidecarInjector.Hosting;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Hosting;

/// <summary>
/// A bug of ours is never reported as the user's bad pod: it is an HTTP 500 (the webhook's
/// failurePolicy decides), counted as internal_error, and logged with its stack.
/// </summary>
public sealed class InternalErrorTests
{
    [Fact]
    public void The_handler_lets_a_bug_out_instead_of_denying_the_pod()
    {
        var handler = new AdmissionHandler(() => throw new InvalidOperationException("a bug"), "default");
        using var output = new PooledBufferWriter();

        var thrown = Assert.Throws<InvalidOperationException>(() =>
            handler.Handle(Encoding.UTF8.GetBytes(Reviews.Review(Reviews.SamplePod())), "/inject", output));
        Assert.Equal("a bug", thrown.Message);
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public async Task The_endpoint_answers_500_logs_the_stack_and_denies_nothing()
    {
        var log = new StringWriter();
        using var loggers = ConsoleLog.CreateFactory(LogLevel.Information, TextWriter.Synchronized(log));
        var handler = new AdmissionHandler(() => throw new InvalidOperationException("a bug"), "default");
        var endpoint = new WebhookEndpoint(handler, 7 * 1024 * 1024, noopEndpoint: false, new DrainState(), loggers.CreateLogger("SidecarInjector.Webhook"));
        var (status, text) = await EndpointCall.PostSampleReview(endpoint);

        Assert.Equal(500, status);
        Assert.Contains("internal error", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"allowed\"", text, StringComparison.Ordinal);
        Assert.Contains("fail: SidecarInjector.Webhook", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: a bug", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("   at ", log.ToString(), StringComparison.Ordinal);
    }
}
