using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// The memo keeps patches in pieces shared between workloads (<see cref="PatchPieces"/>): a kept patch has
/// exactly the bytes it was given, patches of different workloads share most of theirs, and the table stays
/// within its bound.
/// </summary>
public sealed class PatchPiecesTests
{
    /// <summary>The default config's patches for the pods of <paramref name="count"/> random workloads.</summary>
    private static List<byte[]> Patches(int count)
    {
        var handler = new AdmissionHandler(() => InProcess.DefaultConfig, "default");
        var generator = new RandomWorkloads(21);
        var patches = new List<byte[]>();
        while (patches.Count < count)
        {
            var pod = generator.Pod(generator.Next(), 0);
            using var output = new PooledBufferWriter();
            handler.Handle(Encoding.UTF8.GetBytes(Reviews.Review(pod)), "/inject", output);
            if (Reviews.Parse(Reviews.Utf8(output.WrittenSpan)).Patch is { } patch)
            {
                patches.Add(patch);
            }
        }
        return patches;
    }

    [Fact]
    public void A_kept_patch_has_the_bytes_it_was_given_and_most_of_them_are_shared()
    {
        var pieces = new PatchPieces();
        long total = 0, own = 0;
        foreach (var patch in Patches(300))
        {
            var kept = pieces.Compact(StoredPatch.Whole(patch));
            var bytes = kept.Bytes(out var rented);
            Assert.Equal(patch, bytes.ToArray());
            StoredPatch.Return(rented);
            total += patch.Length;
            own += kept.OwnBytes;
        }
        // Each is a valid JSON patch still, and the entries keep well under half of what the patches weigh.
        Assert.True(own * 3 < total, $"kept {own:N0} of {total:N0} bytes");
        Assert.InRange(pieces.Bytes, 1, PatchPieces.MaxBytes);
    }

    [Fact]
    public void The_pieces_cover_the_patch_in_order_and_small_values_stay_whole()
    {
        var patch = Patches(1)[0];
        var cuts = new List<(int Start, int Length)>();
        PatchPieces.Cut(patch, cuts);
        int at = 0;
        foreach (var (start, length) in cuts)
        {
            Assert.Equal(at, start);
            Assert.True(length > 0);
            at += length;
        }
        Assert.Equal(patch.Length, at);
        Assert.True(cuts.Count > 10, "a sidecar's patch is cut into many pieces");
        Assert.NotNull(JsonNode.Parse(patch));
    }

    [Fact]
    public void The_table_stays_within_its_bound_and_a_patch_that_is_not_JSON_is_kept_whole()
    {
        var pieces = new PatchPieces();
        var random = new Random(3);
        for (int i = 0; i < 2000; i++)
        {
            // Patches with nothing in common: each piece is new.
            var values = new JsonArray();
            for (int v = 0; v < 20; v++)
            {
                values.Add((JsonNode)new JsonObject { ["op"] = "add", ["path"] = "/x/" + random.Next(), ["value"] = new string('v', random.Next(10, 200)) });
            }
            var patch = Encoding.UTF8.GetBytes(values.ToJsonString());
            var kept = pieces.Compact(StoredPatch.Whole(patch));
            var bytes = kept.Bytes(out var rented);
            Assert.Equal(patch, bytes.ToArray());
            StoredPatch.Return(rented);
            Assert.InRange(pieces.Bytes, 0, PatchPieces.MaxBytes);
        }
        var notJson = StoredPatch.Whole("[{\"op\":"u8);
        Assert.Same(notJson, pieces.Compact(notJson));
    }
}
