namespace SidecarInjector.Watching;

/// <summary>
/// Watches a Kubernetes volume mount (ConfigMap or Secret) for changes and calls back off the
/// request path. kubelet updates such a mount by swapping the <c>..data</c> symlink, which
/// per-file watchers miss (dotnet/runtime#36091, #64222), so this watches the whole directory,
/// reacts to any event, debounces (Istio uses 100 ms), and polls slowly in case inotify drops
/// an event or the directory does not exist yet. The callback decides, by content hash,
/// whether anything really changed.
/// </summary>
internal sealed class MountWatcher : IDisposable
{
    private readonly string _directory;
    private readonly Action _onChange;
    private readonly TimeSpan _debounce;
    private readonly Timer _debounceTimer;
    private readonly Timer _pollTimer;
    private readonly Lock _lock = new();
    private FileSystemWatcher? _watcher;
    private bool _disposed;

    public MountWatcher(string directory, Action onChange, TimeSpan debounce, TimeSpan pollInterval)
    {
        _directory = directory;
        _onChange = onChange;
        _debounce = debounce;
        _debounceTimer = new Timer(_ => Fire(), null, Timeout.Infinite, Timeout.Infinite);
        _pollTimer = new Timer(_ => Poll(), null, pollInterval, pollInterval);
        TryStartWatcher();
    }

    private void TryStartWatcher()
    {
        lock (_lock)
        {
            if (_disposed || _watcher is not null || !Directory.Exists(_directory))
            {
                return;
            }
            try
            {
                var watcher = new FileSystemWatcher(_directory)
                {
                    IncludeSubdirectories = false,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite
                        | NotifyFilters.CreationTime | NotifyFilters.Size | NotifyFilters.Attributes,
                };
                watcher.Changed += (_, _) => Schedule();
                watcher.Created += (_, _) => Schedule();
                watcher.Deleted += (_, _) => Schedule();
                watcher.Renamed += (_, _) => Schedule();
                watcher.Error += (_, _) => Restart();
                watcher.EnableRaisingEvents = true;
                _watcher = watcher;
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
            {
                // The poll keeps us correct; the next poll tries the watcher again.
            }
        }
    }

    private void Restart()
    {
        lock (_lock)
        {
            _watcher?.Dispose();
            _watcher = null;
        }
        TryStartWatcher();
        Schedule();
    }

    /// <summary>
    /// Calls back once after the debounce, as an event would: a watcher started after the first load
    /// catches a change made in between.
    /// </summary>
    public void CheckAfterDebounce() => Schedule();

    private void Schedule()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _debounceTimer.Change(_debounce, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Poll()
    {
        if (_watcher is null)
        {
            TryStartWatcher();
        }
        Fire();
    }

    private void Fire()
    {
        if (_disposed)
        {
            return;
        }
        try
        {
            _onChange();
        }
        catch (Exception)
        {
            // The callback logs its own failures; a watcher must never take the process down.
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _watcher?.Dispose();
            _watcher = null;
        }
        _debounceTimer.Dispose();
        _pollTimer.Dispose();
    }
}
