using SidecarInjector.Configuration;

namespace SidecarInjector.Answer;

/// <summary>
/// What a handler reads off a config, made once per config version: kept for the snapshot in use and
/// made again when a reload swaps it (the snapshot is compared by reference; a race makes it twice, harmlessly).
/// </summary>
internal sealed class PerConfig<T>(Func<ConfigSnapshot, T> make)
    where T : class
{
    private volatile Tuple<ConfigSnapshot, T>? _known;

    public T For(ConfigSnapshot snapshot)
    {
        var known = _known;
        if (known is not null && ReferenceEquals(known.Item1, snapshot))
        {
            return known.Item2;
        }
        var made = make(snapshot);
        _known = Tuple.Create(snapshot, made);
        return made;
    }
}
