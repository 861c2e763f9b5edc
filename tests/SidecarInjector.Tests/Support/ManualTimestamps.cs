namespace SidecarInjector.Tests.Support;

/// <summary>A clock whose timestamps move only when the test advances them.</summary>
internal sealed class ManualTimestamps : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
