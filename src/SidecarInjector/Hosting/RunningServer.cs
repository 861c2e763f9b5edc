using Microsoft.AspNetCore.Builder;

namespace SidecarInjector.Hosting;

/// <summary>A started server: its bound addresses, its memory budget, and how to stop it (gracefully, draining reviews).</summary>
internal sealed class RunningServer(WebApplication app, IReadOnlyList<string> addresses, RequestBodyBudget budget, Func<TimeSpan> beginDrain, Action cleanup) : IAsyncDisposable
{
    private int _disposed;

    public IReadOnlyList<string> Addresses { get; } = addresses;

    /// <summary>The bytes of reviews in flight and their limit (--max-inflight-bytes).</summary>
    public RequestBodyBudget Budget { get; } = budget;

    /// <summary>The host's services (what its start resolved, for HostStartupTypesTests).</summary>
    public IServiceProvider Services => app.Services;

    /// <summary>The port of the first address with this scheme ("https" or "http").</summary>
    public int Port(string scheme)
    {
        foreach (var address in Addresses)
        {
            if (address.StartsWith(scheme + "://", StringComparison.Ordinal))
            {
                return new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;
            }
        }
        throw new InvalidOperationException("no " + scheme + " listener");
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        var delay = beginDrain();
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay);
        }
        await app.StopAsync();
        await app.DisposeAsync();
        cleanup();
    }
}
