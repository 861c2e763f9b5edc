namespace SidecarInjector.Hosting;

/// <summary>
/// Gives memory back after a burst. The GC keeps the heap a burst grew (large reviews, a config
/// load and its dry run, a connection flood) until it next needs to collect, and a quiet injector
/// may never need to: the pod would sit near its limit, the next burst would find no room, and the
/// memory figures would say nothing about what is in use. So, every interval, when no review is in
/// flight and the GC has more than <see cref="SlackBytes"/> committed beyond what the last trim
/// left, one aggressive full collection returns the free memory to the system. Under steady load
/// the heap stays below that slack (gen0 is 1 MB), so this does not run on every tick.
/// </summary>
internal sealed class MemoryTrimmer : IDisposable
{
    public const long SlackBytes = 16L * 1024 * 1024;

    private readonly RequestBodyBudget _budget;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _afterLastTrim;
    private volatile bool _requested;

    public MemoryTrimmer(RequestBodyBudget budget, TimeSpan interval)
    {
        _budget = budget;
        _afterLastTrim = GC.GetGCMemoryInfo().TotalCommittedBytes;
        _loop = RunAsync(interval);
    }

    /// <summary>Trim at the next tick whatever the heap's size (after a config load: its dry run is garbage now).</summary>
    public void Request() => _requested = true;

    /// <summary>Trims now if the heap grew past the slack or a trim was requested; returns whether it did.</summary>
    public bool TrimIfGrown()
    {
        if (_budget.InFlightBytes > 0)
        {
            return false;
        }
        long committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        if (!_requested && committed <= Interlocked.Read(ref _afterLastTrim) + SlackBytes)
        {
            return false;
        }
        _requested = false;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeAllocator.Trim();
        Interlocked.Exchange(ref _afterLastTrim, GC.GetGCMemoryInfo().TotalCommittedBytes);
        return true;
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                TrimIfGrown();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _loop.Wait(TimeSpan.FromSeconds(1));
        _stop.Dispose();
    }
}
