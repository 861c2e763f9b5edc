using SidecarInjector.Json;

namespace SidecarInjector.Tests.Json;

/// <summary>A detached buffer belongs to whoever took it: the writer neither returns nor reuses it.</summary>
public sealed class PooledBufferWriterTests
{
    [Fact]
    public void Detaching_hands_over_the_bytes_and_leaves_a_writer_that_still_works()
    {
        var writer = new PooledBufferWriter(16);
        writer.Write("first"u8);
        var taken = writer.Detach(out int length);
        Assert.Equal("first"u8.ToArray(), taken.AsSpan(0, length).ToArray());
        Assert.Equal(0, writer.WrittenCount);

        writer.Write("second, longer than the first buffer was"u8);
        Assert.Equal("second, longer than the first buffer was"u8.ToArray(), writer.WrittenSpan.ToArray());
        Assert.Equal("first"u8.ToArray(), taken.AsSpan(0, length).ToArray());
        writer.Dispose();
        writer.Dispose();
    }
}
