namespace SidecarInjector.Tests.Support;

/// <summary>
/// A directory laid out and updated exactly as kubelet's AtomicWriter does for ConfigMap and
/// Secret volumes: files are symlinks into ..data, ..data is a symlink to a timestamped
/// directory, and an update renames a fresh ..data_tmp symlink over ..data.
/// </summary>
internal sealed class KubeletMount : IDisposable
{
    private int _generation;

    public KubeletMount(string root, IReadOnlyDictionary<string, string> files)
    {
        Directory = root;
        System.IO.Directory.CreateDirectory(root);
        Update(files);
    }

    public string Directory { get; }

    public string PathOf(string file) => Path.Combine(Directory, file);

    public void Update(IReadOnlyDictionary<string, string> files)
    {
        var previous = CurrentTarget();
        var name = $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss}.{Interlocked.Increment(ref _generation)}";
        var fresh = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(fresh);
        foreach (var (file, content) in files)
        {
            File.WriteAllText(Path.Combine(fresh, file), content);
        }
        var temp = Path.Combine(Directory, "..data_tmp");
        File.Delete(temp);
        File.CreateSymbolicLink(temp, name);
        // rename(2) replaces the old ..data link atomically; File.Move would follow the link.
        if (rename(temp, Path.Combine(Directory, "..data")) != 0)
        {
            throw new IOException("rename failed: errno " + System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        }
        foreach (var file in files.Keys)
        {
            var link = Path.Combine(Directory, file);
            if (!File.Exists(link) && new FileInfo(link).LinkTarget is null)
            {
                File.CreateSymbolicLink(link, Path.Combine("..data", file));
            }
        }
        if (previous is not null)
        {
            System.IO.Directory.Delete(Path.Combine(Directory, previous), recursive: true);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true, CharSet = System.Runtime.InteropServices.CharSet.Ansi, BestFitMapping = false)]
    private static extern int rename(string oldPath, string newPath);

    private string? CurrentTarget() => new FileInfo(Path.Combine(Directory, "..data")).LinkTarget;

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
