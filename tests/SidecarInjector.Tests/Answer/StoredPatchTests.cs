using System.Buffers;
using System.Text;
using SidecarInjector.Answer;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>A fresh answer's patch is borrowed from the shared pool; whatever keeps one keeps its own copy.</summary>
public sealed class StoredPatchTests
{
    private static readonly byte[] Patch = Encoding.UTF8.GetBytes("[{\"op\":\"add\",\"path\":\"/metadata/labels/a\",\"value\":\"b\"}]");

    private static StoredPatch Borrowed()
    {
        var writer = new PooledBufferWriter(4096);
        writer.Write(Patch);
        var borrowed = StoredPatch.Borrow(writer);
        // The writer gave its buffer away: disposing it must not return that buffer too.
        writer.Dispose();
        return borrowed;
    }

    [Fact]
    public void A_borrowed_patch_reads_as_written_and_its_owned_copy_outlives_it()
    {
        var borrowed = Borrowed();
        Assert.True(borrowed.IsBorrowed);
        Assert.Equal(Patch.Length, borrowed.Length);
        Assert.Equal(Patch, borrowed.Bytes(out _).ToArray());
        var copy = new byte[borrowed.Length];
        borrowed.CopyTo(copy);
        Assert.Equal(Patch, copy);

        var owned = borrowed.Owned();
        Assert.False(owned.IsBorrowed);
        Assert.Same(owned, owned.Owned());
        borrowed.Release();
        borrowed.Release();
        Assert.False(borrowed.IsBorrowed);
        Assert.Equal(Patch, owned.Bytes(out _).ToArray());
    }

    [Fact]
    public void The_memo_keeps_its_own_copy_of_an_answer_whose_buffer_went_back_to_the_pool()
    {
        var handler = new AdmissionHandler(() => InProcess.DefaultConfig, "default");
        var review = Encoding.UTF8.GetBytes(Reviews.Review(Reviews.SamplePod()));
        byte[] Send()
        {
            using var output = new PooledBufferWriter();
            handler.Handle(review, "/inject", output);
            return Reviews.Parse(Reviews.Utf8(output.WrittenSpan)).Patch!;
        }
        var pod = Reviews.SamplePod();
        var first = Send();
        // The memo keeps the second answer. The two may be made differently (merged, then written from
        // the pod's bytes once the render's key is confirmed, maybe by an earlier test): equal pods, not bytes.
        var remembered = Send();
        Assert.Equal(0, handler.MemoHits);
        Assert.True(IndependentJsonPatch.SameJson(IndependentJsonPatch.Apply(pod.ToJsonString(), first), IndependentJsonPatch.Apply(pod.ToJsonString(), remembered)));

        // The buffers the first answers borrowed are back in the pool: whoever rents them next writes over them.
        for (int i = 0; i < 64; i++)
        {
            var reused = ArrayPool<byte>.Shared.Rent(16 * 1024);
            reused.AsSpan().Fill((byte)'x');
            ArrayPool<byte>.Shared.Return(reused);
        }
        Assert.Equal(remembered, Send());
        Assert.Equal(1, handler.MemoHits);
    }
}
