using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>Pods of one workload get one key; what injection reads, or what names the workload, keeps keys apart.</summary>
public sealed class WorkloadKeyTests
{
    private static byte[] KeyOf(JsonObject pod, SiblingMasks masks)
    {
        using var key = new WorkloadKey();
        Assert.True(key.Build(Encoding.UTF8.GetBytes(pod.ToJsonString()), masks));
        return key.Bytes.ToArray();
    }

    private static readonly SiblingMasks DefaultMasks = SiblingMasks.For(InProcess.DefaultConfig);

    private static (RandomWorkloads Generator, RandomWorkloads.Workload Workload) WorkloadOf(string kind)
    {
        for (int seed = 1; ; seed++)
        {
            var generator = new RandomWorkloads(seed);
            var workload = generator.Next();
            if (workload.Kind == kind)
            {
                return (generator, workload);
            }
        }
    }

    [Theory]
    [InlineData("Deployment")]
    [InlineData("CronJob")]
    [InlineData("DeploymentConfig")]
    public void Pods_of_one_workload_share_a_key(string kind)
    {
        var (generator, workload) = WorkloadOf(kind);
        var first = generator.Pod(workload, 0);
        var second = generator.Pod(workload, 1);
        Assert.NotEqual(first.ToJsonString(), second.ToJsonString());
        Assert.Equal(KeyOf(first, DefaultMasks), KeyOf(second, DefaultMasks));
    }

    [Theory]
    [InlineData("StatefulSet")]
    [InlineData("Job")]
    [InlineData("Pod")]
    public void Pods_whose_workload_is_named_after_them_do_not(string kind)
    {
        // A StatefulSet's or bare pod's workload name is the pod's name; a plain Job's is the Job's.
        var (generator, workload) = WorkloadOf(kind);
        Assert.NotEqual(KeyOf(generator.Pod(workload, 0), DefaultMasks), KeyOf(generator.Pod(workload, 1), DefaultMasks));
    }

    [Fact]
    public void Pods_of_different_workloads_do_not()
    {
        var generator = new RandomWorkloads(5);
        var a = generator.Next();
        var b = generator.Next();
        Assert.NotEqual(KeyOf(generator.Pod(a, 0), DefaultMasks), KeyOf(generator.Pod(b, 0), DefaultMasks));
    }

    [Fact]
    public void A_value_that_a_template_reads_stays_in_the_key()
    {
        var config = InProcess.Config("templates:\n  sidecar: |\n    metadata:\n      annotations:\n        job: {{ index .ObjectMeta.Labels \"job-name\" | quote }}\n        vol: {{ (index .Spec.Volumes 0).Name | quote }}\n");
        var masks = SiblingMasks.For(config);
        Assert.DoesNotContain("job-name", masks.LabelValues);
        Assert.Contains("batch.kubernetes.io/job-name", masks.LabelValues);
        Assert.False(masks.TokenVolumeNames);
        var (generator, workload) = WorkloadOf("CronJob");
        Assert.NotEqual(KeyOf(generator.Pod(workload, 0), masks), KeyOf(generator.Pod(workload, 1), masks));
    }

    [Fact]
    public void A_label_an_injection_selector_names_stays_in_the_key()
    {
        var config = InProcess.Config("neverInjectSelector:\n- matchExpressions:\n  - {key: job-name, operator: Exists}\ntemplates:\n  sidecar: 'spec: {}'\n");
        Assert.DoesNotContain("job-name", SiblingMasks.For(config).LabelValues);
    }

    [Fact]
    public void Masking_nothing_keeps_every_byte_of_the_pod()
    {
        var pod = Reviews.SamplePod();
        var bytes = Encoding.UTF8.GetBytes(pod.ToJsonString());
        using var key = new WorkloadKey();
        Assert.True(key.Build(bytes, SiblingMasks.None));
        Assert.Equal(0, key.MaskedCount);
        Assert.True(key.Bytes.StartsWith(bytes));
    }

    [Theory]
    [InlineData("{\"metadata\":")]
    [InlineData("[1,2]")]
    public void A_pod_that_is_not_json_gets_no_key(string text)
    {
        using var key = new WorkloadKey();
        Assert.False(key.Build(Encoding.UTF8.GetBytes(text), DefaultMasks));
    }

    [Fact]
    public void Perturbed_pod_changes_every_left_out_value_alike()
    {
        var (generator, workload) = WorkloadOf("Deployment");
        var pod = generator.Pod(workload, 0);
        var bytes = Encoding.UTF8.GetBytes(pod.ToJsonString());
        using var key = new WorkloadKey();
        Assert.True(key.Build(bytes, DefaultMasks));
        var perturbed = JsonNode.Parse(key.Perturbed(bytes))!;
        var token = perturbed["spec"]!["volumes"]!.AsArray()[^1]!["name"]!.GetValue<string>();
        Assert.NotEqual(pod["spec"]!["volumes"]!.AsArray()[^1]!["name"]!.GetValue<string>(), token);
        Assert.StartsWith("kube-api-access-", token);
        foreach (var container in perturbed["spec"]!["containers"]!.AsArray())
        {
            Assert.Equal(token, container!["volumeMounts"]![0]!["name"]!.GetValue<string>());
        }
        Assert.NotEqual(pod["metadata"]!["uid"]!.GetValue<string>(), perturbed["metadata"]!["uid"]!.GetValue<string>());
        // The owner's name makes the workload, which is in the key: left as it is.
        Assert.Equal(pod["metadata"]!["ownerReferences"]![0]!["name"]!.GetValue<string>(), perturbed["metadata"]!["ownerReferences"]![0]!["name"]!.GetValue<string>());
    }
}
