using SidecarInjector.Certificates;
using SidecarInjector.CommandLine;
using SidecarInjector.Watching;

namespace SidecarInjector.Hosting;

/// <summary>Watches the directories of the certificate and key (usually one Secret mount).</summary>
internal sealed class CertificateWatchers : IDisposable
{
    private readonly List<MountWatcher> _watchers = [];

    public CertificateWatchers(ServeOptions options, CertificateStore certificates, TimeSpan pollInterval)
    {
        var directories = new HashSet<string>(StringComparer.Ordinal)
        {
            DirectoryOf(options.TlsCertFile),
            DirectoryOf(options.TlsKeyFile),
        };
        foreach (var directory in directories)
        {
            _watchers.Add(new MountWatcher(directory, () => certificates.Reload(), TimeSpan.FromMilliseconds(100), pollInterval));
        }
    }

    /// <summary>Reloads once after the debounce (see <see cref="MountWatcher.CheckAfterDebounce"/>).</summary>
    public void CheckAfterDebounce()
    {
        foreach (var watcher in _watchers)
        {
            watcher.CheckAfterDebounce();
        }
    }

    private static string DirectoryOf(string file) => Path.GetDirectoryName(Path.GetFullPath(file)) ?? "/";

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }
    }
}
