namespace SidecarInjector.Cluster;

/// <summary>What happened to an object while watched.</summary>
internal enum WatchEvent
{
    Added,
    Modified,
    Deleted,
}
