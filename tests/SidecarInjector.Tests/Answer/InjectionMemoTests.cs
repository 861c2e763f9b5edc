using System.Text;
using SidecarInjector.Answer;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>Identical ReplicaSet pods are answered from the memo, but never across what changes the answer.</summary>
public sealed class InjectionMemoTests
{
    private static Reviews.Answer Send(AdmissionHandler handler, string review, string path = "/inject")
    {
        using var output = new PooledBufferWriter();
        handler.Handle(Encoding.UTF8.GetBytes(review), path, output);
        return Reviews.Parse(Reviews.Utf8(output.WrittenSpan));
    }

    [Fact]
    public void Identical_pods_get_the_same_patch_with_their_own_uid_and_version()
    {
        var handler = new AdmissionHandler(() => InProcess.DefaultConfig, "default");
        var pod = Reviews.SamplePod();
        var first = Send(handler, Reviews.Review(pod, uid: "a"));
        var second = Send(handler, Reviews.Review(pod, version: "v1beta1", uid: "b"));
        Assert.Equal("a", first.Uid);
        Assert.Equal("b", second.Uid);
        Assert.Equal("admission.k8s.io/v1beta1", second.ApiVersion);
        // The same pod, not necessarily the same bytes: the second may be written from the pod's bytes.
        Differential.AssertSameOutcome(pod, first, second, "the second review");
    }

    [Fact]
    public void The_namespace_path_and_config_are_part_of_the_key()
    {
        var config = InProcess.DefaultConfig;
        var handler = new AdmissionHandler(() => config, "default");
        var pod = Reviews.SamplePod();
        Assert.NotNull(Send(handler, Reviews.Review(pod, ns: "shop")).Patch);
        Assert.Null(Send(handler, Reviews.Review(pod, ns: "kube-system")).Patch);
        var withNetwork = Send(handler, Reviews.Review(pod, ns: "shop"), "/inject/net/n1");
        Assert.NotEqual(Send(handler, Reviews.Review(pod, ns: "shop")).Patch, withNetwork.Patch);

        config = InProcess.Config("policy: disabled\ntemplates:\n  sidecar: 'spec: {}'\n");
        Assert.Null(Send(handler, Reviews.Review(pod, ns: "shop")).Patch);
    }

    [Fact]
    public void A_denial_is_remembered_as_a_denial()
    {
        var handler = new AdmissionHandler(() => InProcess.DefaultConfig, "default");
        var pod = Reviews.SamplePod();
        pod["spec"]!["volumes"] = "bad";
        for (int i = 0; i < 2; i++)
        {
            var answer = Send(handler, Reviews.Review(pod, uid: "u" + i));
            Assert.False(answer.Allowed);
            Assert.Equal("u" + i, answer.Uid);
            Assert.Contains("spec.volumes", answer.Message);
        }
    }

    /// <summary>What the handler does with a fresh answer: keep it if the memo admits it.</summary>
    private static void Offer(InjectionMemo memo, int hash, byte[] key, CachedAnswer answer)
    {
        if (memo.Admits(hash, key.Length, answer))
        {
            memo.Remember(hash, InProcess.DefaultConfig, null, "shop", "/inject", key, answer);
        }
    }

    /// <summary>An answer whose patch is <paramref name="patchBytes"/> bytes of JSON (one number in a list: a single piece).</summary>
    private static CachedAnswer Answer(int patchBytes) =>
        new(InjectionOutcome.Injected, null, null, StoredPatch.Whole(Encoding.UTF8.GetBytes("[" + new string('1', patchBytes - 2) + "]")), "policy enabled", "web-");

    [Fact]
    public void A_pod_too_large_for_an_entry_is_answered_but_not_kept()
    {
        var memo = new InjectionMemo();
        var pod = new byte[InjectionMemo.MaxEntryBytes];
        var hash = InjectionMemo.HashOf(pod, "shop", "/inject");

        Offer(memo, hash, pod, Answer(1024));
        Offer(memo, hash, pod, Answer(1024));

        Assert.Null(memo.Find(hash, InProcess.DefaultConfig, null, "shop", "/inject", pod));
        Assert.Equal(0, memo.Bytes);
    }

    [Fact]
    public void All_entries_together_stay_under_the_byte_budget()
    {
        const long budget = 64 * 1024;
        var memo = new InjectionMemo(budget);
        int kept = 0;
        for (int i = 0; i < 200; i++)
        {
            var pod = Encoding.UTF8.GetBytes($"{{\"pod\":{i},\"pad\":\"{new string('x', 4000)}\"}}");
            var hash = InjectionMemo.HashOf(pod, "shop", "/inject");
            // Seen twice: a pod is kept the second time it comes.
            Offer(memo, hash, pod, Answer(2000));
            Offer(memo, hash, pod, Answer(2000));
            kept += memo.Find(hash, InProcess.DefaultConfig, null, "shop", "/inject", pod) is null ? 0 : 1;
            Assert.InRange(memo.Bytes, 0, budget);
        }
        // About ten ~6 KB entries fit at a time: each new one is kept, older unused ones make room.
        Assert.Equal(200, kept);
    }

    [Fact]
    public void When_the_budget_is_full_entries_in_use_stay_and_unused_ones_make_room()
    {
        const long budget = 64 * 1024;
        var memo = new InjectionMemo(budget);
        byte[] Pod(int i) => Encoding.UTF8.GetBytes($"{{\"pod\":{i},\"pad\":\"{new string('x', 4000)}\"}}");
        var hot = Pod(-1);
        var hotHash = InjectionMemo.HashOf(hot, "shop", "/inject");
        Offer(memo, hotHash, hot, Answer(2000));
        Offer(memo, hotHash, hot, Answer(2000));
        for (int i = 0; i < 200; i++)
        {
            // The hot pod is asked for between every store; the others only once.
            Assert.NotNull(memo.Find(hotHash, InProcess.DefaultConfig, null, "shop", "/inject", hot));
            var pod = Pod(i);
            var hash = InjectionMemo.HashOf(pod, "shop", "/inject");
            Offer(memo, hash, pod, Answer(2000));
            Offer(memo, hash, pod, Answer(2000));
            Assert.InRange(memo.Bytes, 0, budget);
        }
        Assert.NotNull(memo.Find(hotHash, InProcess.DefaultConfig, null, "shop", "/inject", hot));
        Assert.Null(memo.Find(InjectionMemo.HashOf(Pod(0), "shop", "/inject"), InProcess.DefaultConfig, null, "shop", "/inject", Pod(0)));
    }

    [Fact]
    public void Replacing_a_slot_gives_its_bytes_back()
    {
        var memo = new InjectionMemo();
        var pod = Encoding.UTF8.GetBytes("{\"pod\":1}");
        var hash = InjectionMemo.HashOf(pod, "shop", "/inject");

        Offer(memo, hash, pod, Answer(5000));
        Offer(memo, hash, pod, Answer(5000));
        var once = memo.Bytes;
        // The key and the patch's references (its 5,000 bytes are one piece, kept in the shared table).
        Assert.True(once > pod.Length);
        Offer(memo, hash, pod, Answer(5000));

        Assert.Equal(once, memo.Bytes);
    }

    [Fact]
    public void Two_thousand_workloads_are_all_kept_while_the_table_has_room()
    {
        // Each key may live in one of four slots: with two, ~2 % of two thousand keys found both taken and
        // evicted another key, and such pairs then evicted each other review after review.
        var memo = new InjectionMemo();
        var answer = Answer(200);
        var keys = Enumerable.Range(0, 2000).Select(i => Encoding.UTF8.GetBytes($"{{\"workload\":{i}}}")).ToArray();
        foreach (var key in keys)
        {
            var hash = InjectionMemo.HashOf(key, "shop", "/inject");
            Offer(memo, hash, key, answer);
            Offer(memo, hash, key, answer);
        }
        int kept = keys.Count(key => memo.Find(InjectionMemo.HashOf(key, "shop", "/inject"), InProcess.DefaultConfig, null, "shop", "/inject", key) is not null);
        Assert.InRange(kept, 1990, 2000);
    }

    [Fact]
    public void A_pod_is_kept_the_second_time_it_comes_so_distinct_pods_do_not_churn_the_memo()
    {
        var memo = new InjectionMemo();
        var pod = Encoding.UTF8.GetBytes("{\"pod\":2}");
        var hash = InjectionMemo.HashOf(pod, "shop", "/inject");

        Offer(memo, hash, pod, Answer(100));
        Assert.Null(memo.Find(hash, InProcess.DefaultConfig, null, "shop", "/inject", pod));
        Assert.Equal(0, memo.Bytes);

        Offer(memo, hash, pod, Answer(100));
        Assert.NotNull(memo.Find(hash, InProcess.DefaultConfig, null, "shop", "/inject", pod));
    }

    [Fact]
    public void A_handler_that_remembers_nothing_answers_every_review_afresh_and_the_same()
    {
        var forgetful = new AdmissionHandler(() => InProcess.DefaultConfig, "default") { RememberAnswers = false };
        var remembering = new AdmissionHandler(() => InProcess.DefaultConfig, "default");
        var pod = Reviews.SamplePod();
        var review = Reviews.Review(pod);
        for (int i = 0; i < 4; i++)
        {
            // The same pod, not the same bytes: one answer may be written from the pod's bytes and the other
            // merged, depending on whether another test has confirmed this render's key (DirectPatch).
            Differential.AssertSameOutcome(pod, Send(remembering, review), Send(forgetful, review), $"review {i}");
        }
        Assert.Equal(0, forgetful.MemoHits);
        Assert.Equal(4, forgetful.ProjectedInjections + forgetful.DirectInjections);
        Assert.True(remembering.MemoHits > 0);
    }
}
