namespace SidecarInjector.Hosting;

/// <summary>
/// The bytes of review bodies being read or answered at once, and their limit. A review costs
/// about <see cref="WorkingBytesPerBodyByte"/> times its body while it is answered (the body, its
/// copy, the pod's tree, the merged pod and the patch; measured in a 128 MiB cgroup with pods of
/// 1, 3 and 7 MB: 10, 11 and 12 times), so
/// inside the pod's 128 MiB a few large reviews at once are enough to exhaust the heap. Past the
/// budget a review is refused at once (HTTP 429, the apiserver's failurePolicy decides) instead of
/// growing the heap until something, possibly the accept loop or a finalizer, fails to allocate.
/// One review is always admitted when nothing else is in flight, so a budget below the largest
/// accepted review slows large pods down but never refuses them all.
/// </summary>
internal sealed class RequestBodyBudget(long limitBytes)
{
    /// <summary>Working memory per byte of body while a review is answered (measured, above).</summary>
    public const long WorkingBytesPerBodyByte = 12;

    /// <summary>What an idle injector keeps in its heap (~8 MiB measured), and room for probes, metrics and connections.</summary>
    public const long IdleHeapBytes = 16L * 1024 * 1024;

    private long _inFlight;

    public long LimitBytes { get; } = limitBytes;

    public long InFlightBytes => Volatile.Read(ref _inFlight);

    /// <summary>
    /// The default for a heap of <paramref name="heapLimitBytes"/> (the GC's limit: 50 % of the
    /// container's memory limit, as the binary sets it): what is left beside an idle injector, divided by
    /// the working memory a body byte costs; at least 1 MiB, at most 64 MiB (beyond that, memory is
    /// not what limits a 2-core injector).
    /// </summary>
    public static long DefaultFor(long heapLimitBytes) =>
        Math.Clamp((heapLimitBytes - IdleHeapBytes) / WorkingBytesPerBodyByte, 1024 * 1024, 64L * 1024 * 1024);

    /// <summary>
    /// Takes <paramref name="bytes"/> more from the budget for a review that already holds
    /// <paramref name="held"/> (a body without Content-Length grows as it arrives), or nothing and
    /// false when they do not fit and other reviews are in flight.
    /// </summary>
    public bool TryReserve(long bytes, long held = 0)
    {
        while (true)
        {
            long current = Volatile.Read(ref _inFlight);
            long next = current + bytes;
            if (current - held > 0 && next > LimitBytes)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _inFlight, next, current) == current)
            {
                return true;
            }
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _inFlight, -bytes);
}
