using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// The differential test of the fresh path on a pod's projection (<see cref="PodProjection"/>): every pod
/// must end up exactly as the injection of the whole pod leaves it, denials included. Seeded random pods
/// (PROJECTION_EQUIVALENCE_PODS in all: 100,000 in CI, which sets it, 10,000 by default) under the
/// default config and both Istio corpora's own templates, with the shapes the projection must notice
/// added at random (the pod's own istio-proxy or istio-init with env, volumes named as the template
/// names its own, lifecycle hooks, empty lists, a value that looks like a placeholder); and every
/// webhook case of both corpora. Both answers' patches are applied with an independent RFC 6902
/// implementation.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ProjectionEquivalenceTests
{
    private static int PodCount => Differential.PodCount("PROJECTION_EQUIVALENCE_PODS");

    /// <summary>The pod through the projection against the whole pod; returns whether the projection's patch was used.</summary>
    private static bool AssertSame(ConfigSnapshot config, JsonObject pod, string ns, string what)
    {
        var review = Differential.Review(pod, ns);
        // The direct path would take many of these pods (DirectPatchEquivalenceTests holds it to the merge).
        var projected = new AdmissionHandler(() => config, "default") { DirectPatches = false };
        var viaProjection = Differential.Send(projected, review);
        var full = Differential.Merged(config, review);
        Differential.AssertSameOutcome(pod, full, viaProjection, what);
        return projected.ProjectedInjections > 0;
    }

    [Fact]
    public void Random_pods_injected_on_their_projection_equal_their_whole_injection()
    {
        var configs = Differential.Configs;
        long projected = 0, pods = 0;
        Parallel.For(0, PodCount, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, index =>
        {
            var generator = new RandomWorkloads(50_000 + index);
            var workload = generator.Next();
            var pod = generator.Pod(workload, index % 3);
            ProjectionShapes.AddSome(pod, new Random(index));
            if (AssertSame(configs[index % configs.Length], pod, workload.Namespace, $"pod {index} ({workload.Kind})"))
            {
                Interlocked.Increment(ref projected);
            }
            Interlocked.Increment(ref pods);
        });
        // Not a vacuous pass: most pods took the projection (the rest are skipped, denied, or fell back).
        Assert.True(projected > pods / 2, $"only {projected} of {pods} pods were injected on their projection");
    }

    [Theory]
    [MemberData(nameof(Differential.Corpora), MemberType = typeof(Differential))]
    public void Istio_corpus_pods_injected_on_their_projection_equal_their_whole_injection(string name)
    {
        int projected = 0, projectable = 0;
        using var projection = new PodProjection();
        foreach (var (config, pod, ns, what) in Differential.CorpusWebhookPods(name))
        {
            if (AssertSame(config, pod, ns, what))
            {
                projected++;
            }
            if (projection.Build(Encoding.UTF8.GetBytes(pod.ToJsonString()), PrunableFields.For(config)))
            {
                projectable++;
            }
        }
        // Most corpus pods are a bare container (nothing to leave out) or injected already; of those with
        // something to leave out, most must take the projection.
        Assert.True(projected > 0 && projected >= projectable / 2, $"only {projected} of {projectable} projectable corpus pods were injected on their projection");
    }
}
