using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Tests.Conformance;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// The differential test of shared answers: a pod answered from the memo (an answer kept for a
/// sibling) must end up exactly as the full injection of that pod leaves it. Seeded random workloads
/// under the default config and Istio's own template (SIBLING_EQUIVALENCE_PODS pods in all: 100,000
/// in CI, which sets it, 10,000 by default so that a local run stays short), and every webhook case
/// of both Istio corpora turned into workloads; both answers' patches applied with an independent
/// RFC 6902 implementation.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class SiblingEquivalenceTests
{
    private const int PodsPerWorkload = 10;

    private static int PodCount => Differential.PodCount("SIBLING_EQUIVALENCE_PODS");

    private static readonly Lazy<ConfigSnapshot> IstioTemplate = new(IstioCorpus.Head.DefaultSettings);

    private static Reviews.Answer Send(AdmissionHandler handler, JsonObject pod, string ns) =>
        Differential.Send(handler, Encoding.UTF8.GetBytes(Reviews.Review(pod, ns: ns, uid: "u")));

    /// <summary>The pod's answer through <paramref name="shared"/> against the full injection (a handler that has seen nothing).</summary>
    private static void AssertSame(AdmissionHandler shared, ConfigSnapshot config, JsonObject pod, string ns, string what)
    {
        var viaShared = Send(shared, pod, ns);
        var full = Send(new AdmissionHandler(() => config, "default") { UseRenderKeys = false }, pod, ns);
        Differential.AssertSameOutcome(pod, full, viaShared, what);
    }

    [Fact]
    public void Random_workloads_pods_answered_from_a_siblings_answer_equal_their_full_injection()
    {
        int workloads = Math.Max(2, PodCount / PodsPerWorkload);
        var configs = new[] { InProcess.DefaultConfig, IstioTemplate.Value };
        var handlers = new[] { new AdmissionHandler(() => configs[0], "default"), new AdmissionHandler(() => configs[1], "default") };
        long sharing = 0;
        Parallel.For(0, workloads, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, index =>
        {
            var generator = new RandomWorkloads(9000 + index);
            var workload = generator.Next();
            int which = index % 2;
            if (workload.Kind is "Deployment" or "CronJob" or "DeploymentConfig")
            {
                Interlocked.Add(ref sharing, PodsPerWorkload - 2);
            }
            for (int ordinal = 0; ordinal < PodsPerWorkload; ordinal++)
            {
                AssertSame(handlers[which], configs[which], generator.Pod(workload, ordinal), workload.Namespace,
                    $"workload {index} ({workload.Kind}) pod {ordinal}");
            }
        });
        // Not a vacuous pass: many pods of workloads whose pods can share (not StatefulSets, plain Jobs or
        // bare pods, whose workload is named after the pod or Job) were answered from the memo. Not all:
        // the memo's byte budget holds a few thousand answers, and these workloads are thousands.
        Assert.True(handlers[0].MemoHits + handlers[1].MemoHits > sharing / 4,
            $"only {handlers[0].MemoHits} + {handlers[1].MemoHits} of {sharing} pods of sharing workloads were answered from the memo");
        // And many of those from their bytes alone (SiblingReviews, SiblingDigests): a pod's bytes differ from its siblings'
        // only in uids and the token volume, so each workload's fourth pod onwards can be, unless the tables were full.
        long fromBytes = handlers[0].SiblingReviewHits + handlers[1].SiblingReviewHits;
        Assert.True(fromBytes > sharing / 8, $"only {fromBytes} of {sharing} pods of sharing workloads were answered from their bytes");
        // Some by their digest (SiblingDigests): workloads at once outnumber SiblingReviews' slots.
        Assert.True(handlers[0].SiblingDigestHits + handlers[1].SiblingDigestHits > 0, "no pod was answered by the digest of its bytes");
        // The answers of pods whose renders came from their key (RenderKey) were among them, and no key
        // ever stood for two renders (the answers above were compared with renders made afresh).
        foreach (var config in configs)
        {
            Assert.All(config.Templates.Values, t => Assert.False(t.KeyDisagreed, $"template {t.Name}: a render differed from its key's"));
            Assert.True(config.DefaultTemplateSet.Sum(t => t.KeyHits) > 0, "no render came from its key");
        }
    }

    [Theory]
    [MemberData(nameof(Differential.Corpora), MemberType = typeof(Differential))]
    public void Istio_corpus_pods_and_their_siblings_get_their_full_injection(string name)
    {
        var corpus = IstioCorpus.Named(name);
        var random = new Random(77);
        int hits = 0, fromBytes = 0, checkedPods = 0;
        foreach (var c in corpus.Cases())
        {
            if (c!["skipWebhook"]!.GetValue<bool>() || c["expectedError"] is not null)
            {
                continue;
            }
            var config = corpus.Settings(c.AsObject());
            var handler = new AdmissionHandler(() => config, "default");
            foreach (var pod in IstioCorpus.Pods(corpus.Document(c["in"]!.GetValue<string>())))
            {
                var ns = pod["metadata"]?["namespace"]?.GetValue<string>() ?? "default";
                for (int sibling = 0; sibling < 4; sibling++)
                {
                    AssertSame(handler, config, Sibling(pod, random), ns, $"{corpus.Name} case {c["index"]} {c["in"]} sibling {sibling}");
                    checkedPods++;
                }
            }
            hits += (int)handler.MemoHits;
            fromBytes += (int)handler.SiblingReviewHits;
        }
        Assert.True(hits > checkedPods / 4, $"only {hits} of {checkedPods} corpus pods were answered from the memo");
        // The fourth sibling of a pod is answered from its bytes (SiblingReviews) when the third was from the memo.
        Assert.True(fromBytes > checkedPods / 16, $"only {fromBytes} of {checkedPods} corpus pods were answered from their bytes");
    }

    /// <summary>The corpus pod as a ReplicaSet's pod: generateName, owner, uid and its own token volume.</summary>
    private static JsonObject Sibling(JsonObject pod, Random random)
    {
        var copy = pod.DeepClone().AsObject();
        string Suffix(int n) => string.Concat(Enumerable.Range(0, n).Select(_ => "bcdfghjk2456789"[random.Next(15)]));
        if (copy["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            copy["metadata"] = metadata;
        }
        metadata["uid"] = Guid.NewGuid().ToString();
        if (metadata["ownerReferences"] is null && metadata["generateName"] is null)
        {
            var name = metadata["name"]?.GetValue<string>() ?? "app";
            metadata.Remove("name");
            metadata["generateName"] = name + "-6d4cf56db6-";
            if (metadata["labels"] is not JsonObject labels)
            {
                labels = [];
                metadata["labels"] = labels;
            }
            labels["pod-template-hash"] = "6d4cf56db6";
            metadata["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "ReplicaSet",
                ["name"] = name + "-6d4cf56db6",
                ["uid"] = Guid.NewGuid().ToString(),
                ["controller"] = true,
            });
        }
        if (copy["spec"] is JsonObject spec)
        {
            var token = "kube-api-access-" + Suffix(5);
            if (spec["volumes"] is not JsonArray volumes)
            {
                volumes = [];
                spec["volumes"] = volumes;
            }
            volumes.Add(new JsonObject { ["name"] = token, ["projected"] = new JsonObject { ["sources"] = new JsonArray() } });
            foreach (var container in spec["containers"] as JsonArray ?? [])
            {
                if (container is JsonObject c)
                {
                    if (c["volumeMounts"] is not JsonArray mounts)
                    {
                        mounts = [];
                        c["volumeMounts"] = mounts;
                    }
                    mounts.Add(new JsonObject { ["name"] = token, ["mountPath"] = "/var/run/secrets/kubernetes.io/serviceaccount" });
                }
            }
        }
        return copy;
    }
}
