using System.Net;

namespace SidecarInjector.Tests.Support;

/// <summary>A request body sent in two halves, the second only when told: a review held in flight.</summary>
internal sealed class HeldBody(byte[] body, bool chunked = false) : HttpContent
{
    public TaskCompletionSource FirstHalfSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource SendTheRest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        int half = body.Length / 2;
        await stream.WriteAsync(body.AsMemory(0, half));
        await stream.FlushAsync();
        FirstHalfSent.TrySetResult();
        await SendTheRest.Task;
        await stream.WriteAsync(body.AsMemory(half));
    }

    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return !chunked;
    }
}
