using Microsoft.Extensions.Logging;
using SidecarInjector.Errors;
using SidecarInjector.Metrics;

namespace SidecarInjector.Configuration;

/// <summary>
/// Holds the current <see cref="ConfigSnapshot"/> and replaces it only with a version that loaded
/// completely. Reloads come from the directory watcher, off the request path.
/// </summary>
internal sealed partial class ConfigStore
{
    private readonly Func<ConfigLoader.ConfigFiles> _read;
    private readonly ILogger _logger;
    private readonly Lock _reloadLock = new();
    private ConfigSnapshot? _current;
    private string? _lastSeenVersion;

    public ConfigStore(Func<ConfigLoader.ConfigFiles> read, ILogger logger)
    {
        _read = read;
        _logger = logger;
    }

    /// <summary>The snapshot to serve, or null until a valid config has loaded.</summary>
    public ConfigSnapshot? Current => Volatile.Read(ref _current);

    /// <summary>Why the last load failed, while no valid config has replaced it.</summary>
    public string? LastError { get; private set; }

    /// <summary>Raised after a new snapshot is in place.</summary>
    public event Action<ConfigSnapshot>? Swapped;

    /// <summary>Reads the files; loads and swaps only if their content changed. Returns true on a swap.</summary>
    public bool Reload()
    {
        lock (_reloadLock)
        {
            ConfigLoader.ConfigFiles files;
            try
            {
                files = _read();
            }
            catch (Exception e) when (e is ConfigException or IOException or UnauthorizedAccessException)
            {
                return Fail(null, e.Message);
            }
            var version = files.Version();
            if (version == _lastSeenVersion)
            {
                return false;
            }
            _lastSeenVersion = version;
            try
            {
                var snapshot = ConfigLoader.Load(files);
                foreach (var warning in snapshot.Warnings)
                {
                    LogWarning(_logger, warning);
                }
                Volatile.Write(ref _current, snapshot);
                LastError = null;
                InjectorMetrics.ConfigReloaded(success: true, snapshot.Version);
                LogLoaded(_logger, snapshot.Version, snapshot.Source, snapshot.Templates.Count);
                Swapped?.Invoke(snapshot);
                return true;
            }
            catch (ConfigException e)
            {
                return Fail(version, e.Message);
            }
            catch (OutOfMemoryException)
            {
                // A config whose load or dry run takes more memory than the pod has left is as bad
                // as one that does not parse: refused, and the serving version stays.
                return Fail(version, "loading it and rendering its templates ran out of memory");
            }
        }
    }

    private bool Fail(string? version, string message)
    {
        LastError = message;
        InjectorMetrics.ConfigReloaded(success: false, version);
        if (_current is null)
        {
            LogNoConfig(_logger, message);
        }
        else
        {
            LogRejected(_logger, message, _current.Version);
        }
        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "injector config {Version} loaded from {Source} ({TemplateCount} templates)")]
    private static partial void LogLoaded(ILogger logger, string version, string source, int templateCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "injector config rejected, still serving version {Version}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason, string version);

    [LoggerMessage(Level = LogLevel.Error, Message = "no valid injector config, not ready: {Reason}")]
    private static partial void LogNoConfig(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "injector config: {Warning}")]
    private static partial void LogWarning(ILogger logger, string warning);
}
