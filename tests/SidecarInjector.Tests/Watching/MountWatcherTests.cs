using SidecarInjector.Tests.Support;
using SidecarInjector.Watching;

namespace SidecarInjector.Tests.Watching;

/// <summary>A kubelet-style mount (the ..data symlink swapped) is noticed, by the watcher or by the poll.</summary>
public sealed class MountWatcherTests : IDisposable
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(5);
    private readonly string _root = Directory.CreateTempSubdirectory("mount-watcher").FullName;

    [Fact]
    public async Task A_data_symlink_swap_is_noticed_without_the_poll()
    {
        using var mount = new KubeletMount(Path.Combine(_root, "config"), new Dictionary<string, string> { ["config"] = "one" });
        int calls = 0;
        using var watcher = new MountWatcher(mount.Directory, () => Interlocked.Increment(ref calls), TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(10));

        mount.Update(new Dictionary<string, string> { ["config"] = "two" });

        Assert.True(await ServerHarness.Eventually(() => Task.FromResult(Volatile.Read(ref calls) > 0), Within));
        Assert.Equal("two", File.ReadAllText(mount.PathOf("config")));
    }

    [Fact]
    public async Task A_check_after_the_debounce_calls_back_once_without_any_event()
    {
        // The server starts its watchers after the first load: a change made in between has raised
        // no event for them, so they check once.
        using var mount = new KubeletMount(Path.Combine(_root, "check"), new Dictionary<string, string> { ["config"] = "one" });
        int calls = 0;
        using var watcher = new MountWatcher(mount.Directory, () => Interlocked.Increment(ref calls), TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(10));
        Assert.Equal(0, Volatile.Read(ref calls));

        watcher.CheckAfterDebounce();

        Assert.True(await ServerHarness.Eventually(() => Task.FromResult(Volatile.Read(ref calls) > 0), Within));
        await Task.Delay(300);
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Events_close_together_are_debounced_into_fewer_calls()
    {
        using var mount = new KubeletMount(Path.Combine(_root, "burst"), new Dictionary<string, string> { ["config"] = "0" });
        int calls = 0;
        using var watcher = new MountWatcher(mount.Directory, () => Interlocked.Increment(ref calls), TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(10));

        for (int i = 1; i <= 5; i++)
        {
            mount.Update(new Dictionary<string, string> { ["config"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        Assert.True(await ServerHarness.Eventually(() => Task.FromResult(Volatile.Read(ref calls) > 0), Within));
        // Five swaps in well under the debounce: far fewer callbacks than events (each swap is several).
        Assert.InRange(Volatile.Read(ref calls), 1, 4);
    }

    [Fact]
    public async Task A_directory_that_appears_later_is_found_by_the_poll()
    {
        var directory = Path.Combine(_root, "late");
        int calls = 0;
        using var watcher = new MountWatcher(directory, () => Interlocked.Increment(ref calls), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200));

        using var mount = new KubeletMount(directory, new Dictionary<string, string> { ["config"] = "one" });

        Assert.True(await ServerHarness.Eventually(() => Task.FromResult(Volatile.Read(ref calls) > 0), Within));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
