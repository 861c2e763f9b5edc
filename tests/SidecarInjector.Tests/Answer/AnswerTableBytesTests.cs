using System.Text;
using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// What /metrics reports as sidecar_injector_answer_cache_bytes{table}: each table's own count of what
/// it holds, nothing before anything is remembered, the memo once a key is admitted, the sibling tables
/// once the memo has answered.
/// </summary>
public sealed class AnswerTableBytesTests
{
    private static long BytesOf(AdmissionHandler handler, string table)
    {
        foreach (var (name, bytes) in handler.AnswerTableBytes())
        {
            if (name == table)
            {
                return bytes;
            }
        }
        throw new Xunit.Sdk.XunitException("no table " + table);
    }

    [Fact]
    public void Each_table_reports_what_it_holds()
    {
        var config = ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault());
        var handler = new AdmissionHandler(() => config, "default");
        var review = Encoding.UTF8.GetBytes(Reviews.Review(Reviews.SamplePod()));
        Assert.Equal(["memo", "sibling_reviews", "sibling_digests"], handler.AnswerTableBytes().Select(t => t.Table));
        Assert.All(handler.AnswerTableBytes(), table => Assert.Equal(0, table.Bytes));

        // The memo admits a key the second time it is seen.
        Differential.Send(handler, review);
        Assert.Equal(0, BytesOf(handler, "memo"));
        Differential.Send(handler, review);
        long memo = BytesOf(handler, "memo");
        Assert.InRange(memo, 1_000, InjectionMemo.MaxEntryBytes);
        Assert.Equal(0, BytesOf(handler, "sibling_reviews"));

        // Answered from the memo: kept for its siblings, by its bytes (the review and two answers) and by digest.
        Differential.Send(handler, review);
        Assert.Equal(memo, BytesOf(handler, "memo"));
        Assert.InRange(BytesOf(handler, "sibling_reviews"), review.Length, SiblingReviews.MaxEntryBytes);
        Assert.InRange(BytesOf(handler, "sibling_digests"), 1, 16 * 1024);
    }
}
