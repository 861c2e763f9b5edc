using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// The differential test of the direct path (<see cref="Merge.DirectPatch"/>): a pod patched straight
/// from its bytes must end up exactly as the merge leaves it, denials included. Each pod is sent three
/// times to a handler that keeps no answer: the first renders its sidecar and keeps the render's key,
/// the second confirms the key, the third is written from the compiled render. Seeded random pods
/// (PROJECTION_EQUIVALENCE_PODS in all: 100,000 in CI, 10,000 by default) under the default config and
/// both Istio corpora's own templates, with the shapes that must send a pod to the merge and the probe
/// and metrics shapes the rewrite and the metrics merge must get exactly right added at random; and every webhook case of both corpora. Both patches are applied with an independent
/// RFC 6902 implementation.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class DirectPatchEquivalenceTests
{
    private static int PodCount => Differential.PodCount("PROJECTION_EQUIVALENCE_PODS");

    /// <summary>The pod's third answer against the merge's; returns whether the direct path wrote it.</summary>
    private static bool AssertSame(ConfigSnapshot config, JsonObject pod, string ns, string what)
    {
        var review = Differential.Review(pod, ns);
        var direct = new AdmissionHandler(() => config, "default") { RememberAnswers = false };
        Differential.Send(direct, review);
        Differential.Send(direct, review);
        var viaDirect = Differential.Send(direct, review);
        var merged = Differential.Merged(config, review);
        Differential.AssertSameOutcome(pod, merged, viaDirect, what);
        return direct.DirectInjections > 0;
    }

    [Fact]
    public void Random_pods_patched_from_their_bytes_equal_their_merge()
    {
        var configs = Differential.Configs;
        var direct = new long[configs.Length];
        var injected = new long[configs.Length];
        Parallel.For(0, PodCount, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, index =>
        {
            var generator = new RandomWorkloads(70_000 + index);
            var workload = generator.Next();
            var pod = generator.Pod(workload, index % 3);
            ProjectionShapes.AddSome(pod, new Random(index));
            if (index % 2 == 0)
            {
                ProbeShapes.AddSome(pod, new Random(index + 1));
            }
            if (index % 3 == 1)
            {
                MetricsShapes.AddSome(pod, new Random(index + 2));
            }
            int config = index % configs.Length;
            if (AssertSame(configs[config], pod, workload.Namespace, $"pod {index} ({workload.Kind}, config {config})"))
            {
                Interlocked.Increment(ref direct[config]);
            }
            Interlocked.Increment(ref injected[config]);
        });
        // Not a vacuous pass: under each config, many pods took the direct path (the rest are skipped,
        // denied, or carry what sends them to the merge: a metrics annotation, their own proxy...).
        for (int i = 0; i < configs.Length; i++)
        {
            Assert.True(direct[i] > injected[i] / 5, $"config {i}: only {direct[i]} of {injected[i]} pods were patched from their bytes");
        }
    }

    [Theory]
    [MemberData(nameof(Differential.Corpora), MemberType = typeof(Differential))]
    public void Istio_corpus_pods_patched_from_their_bytes_equal_their_merge(string name)
    {
        int direct = 0;
        foreach (var (config, pod, ns, what) in Differential.CorpusWebhookPods(name))
        {
            if (AssertSame(config, pod, ns, what))
            {
                direct++;
            }
        }
        Assert.True(direct > 10, $"only {direct} corpus pods were patched from their bytes");
    }
}
