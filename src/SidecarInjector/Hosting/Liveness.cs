namespace SidecarInjector.Hosting;

/// <summary>
/// What /healthz answers: whether the process can still do its job, so that the kubelet restarts
/// it when it cannot. A process whose webhook listener stopped accepting (Kestrel's accept loop
/// ends for good after an allocation failure in accept) or whose answering is wedged looks alive to
/// a probe of the admin port alone; these are the signals that see through that.
/// </summary>
internal sealed class Liveness(ServingProgress progress, TimeSpan wedgedAfter)
{
    /// <summary>Consecutive failed self-checks that mean the listener is dead, not just slow once.</summary>
    public const int FailedSelfChecksToDie = 3;

    private readonly Lock _lock = new();
    private string? _listenerFailure;
    private int _failedSelfChecks;
    private string? _lastSelfCheckError;

    /// <summary>Kestrel reported that the webhook listener failed and accepts no more connections.</summary>
    public void ListenerFailed(string why)
    {
        lock (_lock)
        {
            _listenerFailure ??= why;
        }
    }

    public void SelfCheckPassed()
    {
        lock (_lock)
        {
            _failedSelfChecks = 0;
            _lastSelfCheckError = null;
        }
    }

    public void SelfCheckFailed(string why)
    {
        lock (_lock)
        {
            _failedSelfChecks++;
            _lastSelfCheckError = why;
        }
    }

    /// <summary>Why the process should be restarted; empty while it is alive.</summary>
    public List<string> Problems()
    {
        var problems = new List<string>();
        lock (_lock)
        {
            if (_listenerFailure is not null)
            {
                problems.Add("the webhook listener accepts no more connections: " + _listenerFailure);
            }
            if (_failedSelfChecks >= FailedSelfChecksToDie)
            {
                problems.Add($"the webhook port failed its self-check {_failedSelfChecks} times in a row: {_lastSelfCheckError}");
            }
        }
        var stalled = progress.Stalled;
        if (stalled >= wedgedAfter)
        {
            problems.Add($"reviews have been in progress for {stalled.TotalSeconds:F0} s with none finished (the serving path is wedged)");
        }
        return problems;
    }

    /// <summary>The listener itself is gone: no review can be answered, so the pod is not ready either.</summary>
    public bool ListenerDead
    {
        get
        {
            lock (_lock)
            {
                return _listenerFailure is not null || _failedSelfChecks >= FailedSelfChecksToDie;
            }
        }
    }
}
