namespace SidecarInjector.Configuration;

/// <summary>
/// Where the config comes from: the embedded default, a mounted ConfigMap folder (--config-dir),
/// or a ConfigMap manifest file (--config-file). One place, so that serve, inject and check-config
/// read it alike.
/// </summary>
internal sealed record ConfigSource(string? Directory, string? File)
{
    public static readonly ConfigSource Embedded = new(null, null);

    /// <summary>From the two flags, which exclude each other; null and a message when both are given.</summary>
    public static ConfigSource? FromFlags(string? directory, string? file, out string? error)
    {
        error = directory is not null && file is not null ? "--config-dir and --config-file exclude each other; give one" : null;
        return error is null ? new ConfigSource(directory, file) : null;
    }

    public bool IsEmbedded => Directory is null && File is null;

    /// <summary>Reads the texts of the current version (throws <see cref="Errors.ConfigException"/>).</summary>
    public ConfigLoader.ConfigFiles Read() =>
        File is not null ? ConfigManifest.Read(File)
        : Directory is not null ? ConfigLoader.ReadDirectory(Directory)
        : ConfigLoader.ReadEmbeddedDefault();

    /// <summary>
    /// The folder to watch for a new version: the mount itself, or the file's folder (kubelet swaps
    /// a mounted file through the folder's ..data link; an edited file changes in place). Null: nothing to watch.
    /// </summary>
    public string? WatchedDirectory => File is not null
        ? Path.GetDirectoryName(Path.GetFullPath(File))
        : Directory;

    /// <summary>How the log and check-config name it.</summary>
    public string Describe() => File is not null ? "--config-file " + File : Directory is not null ? "--config-dir " + Directory : "the embedded default";
}
