namespace SidecarInjector.Hosting;

/// <summary>
/// Whether answering reviews still makes progress. Answering is CPU work on a budget (templates stop
/// after 5,000,000 steps, about a second), so reviews in progress with none finished for a long
/// time mean the serving path is wedged: liveness then fails and the kubelet restarts the pod.
/// Only the answering is timed, not the body's upload, which a slow client may stretch legitimately.
/// </summary>
internal sealed class ServingProgress(TimeProvider time)
{
    private int _inProgress;
    private long _lastProgress = time.GetTimestamp();

    public void Begin()
    {
        if (Interlocked.Increment(ref _inProgress) == 1)
        {
            // Nothing was in progress: the wait starts now, not at the last review of a quiet hour.
            Volatile.Write(ref _lastProgress, time.GetTimestamp());
        }
    }

    public void End()
    {
        Volatile.Write(ref _lastProgress, time.GetTimestamp());
        Interlocked.Decrement(ref _inProgress);
    }

    /// <summary>How long reviews have been in progress without any finishing; zero when none is in progress.</summary>
    public TimeSpan Stalled => Volatile.Read(ref _inProgress) > 0
        ? time.GetElapsedTime(Volatile.Read(ref _lastProgress))
        : TimeSpan.Zero;
}
