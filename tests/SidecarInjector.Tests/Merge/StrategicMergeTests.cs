using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.KubernetesGo;
using SidecarInjector.Merge;

namespace SidecarInjector.Tests.Merge;

public sealed class StrategicMergeTests
{
    private static string Merge(string pod, string fragment)
    {
        var target = JsonNode.Parse(pod)!.AsObject();
        StrategicMerge.Apply(target, JsonNode.Parse(fragment)!.AsObject(), PodPart.Pod, "");
        return target.ToJsonString();
    }

    [Fact]
    public void Containers_merge_by_name_and_keep_the_pods_order_with_new_ones_after()
    {
        var result = Merge(
            "{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"a\"},{\"name\":\"proxy\",\"image\":\"old\"}]}}",
            "{\"spec\":{\"containers\":[{\"name\":\"proxy\",\"image\":\"new\",\"args\":[\"x\"]},{\"name\":\"extra\"}]}}");
        Assert.Equal("{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"a\"},{\"name\":\"proxy\",\"image\":\"new\",\"args\":[\"x\"]},{\"name\":\"extra\"}]}}", result);
    }

    [Fact]
    public void New_items_go_before_the_pods_remaining_items_as_Kubernetes_orders_them()
    {
        // Kubernetes' mergeSortedSlice: items the pod did not have come before the pod's own ones.
        Assert.Equal("{\"spec\":{\"volumes\":[{\"name\":\"t1\"},{\"name\":\"t2\"},{\"name\":\"data\"}]}}",
            Merge("{\"spec\":{\"volumes\":[{\"name\":\"data\"}]}}", "{\"spec\":{\"volumes\":[{\"name\":\"t1\"},{\"name\":\"t2\"}]}}"));
    }

    [Fact]
    public void Env_ports_and_mounts_merge_by_their_keys()
    {
        var result = Merge(
            "{\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}],\"ports\":[{\"containerPort\":80}],\"volumeMounts\":[{\"name\":\"v\",\"mountPath\":\"/a\"}]}]}}",
            "{\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"A\",\"value\":\"2\"},{\"name\":\"B\",\"value\":\"3\"}],\"ports\":[{\"containerPort\":80,\"name\":\"http\"},{\"containerPort\":81}],\"volumeMounts\":[{\"name\":\"w\",\"mountPath\":\"/b\"}]}]}}");
        Assert.Equal("{\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"A\",\"value\":\"2\"},{\"name\":\"B\",\"value\":\"3\"}],\"ports\":[{\"containerPort\":80,\"name\":\"http\"},{\"containerPort\":81}],\"volumeMounts\":[{\"name\":\"w\",\"mountPath\":\"/b\"},{\"name\":\"v\",\"mountPath\":\"/a\"}]}]}}", result);
    }

    [Fact]
    public void Lists_without_a_merge_key_are_replaced()
    {
        var result = Merge("{\"spec\":{\"tolerations\":[{\"key\":\"a\"}],\"containers\":[{\"name\":\"c\",\"args\":[\"1\",\"2\"]}]}}",
            "{\"spec\":{\"tolerations\":[{\"key\":\"b\"}],\"containers\":[{\"name\":\"c\",\"args\":[\"3\"]}]}}");
        Assert.Equal("{\"spec\":{\"tolerations\":[{\"key\":\"b\"}],\"containers\":[{\"name\":\"c\",\"args\":[\"3\"]}]}}", result);
    }

    [Fact]
    public void Null_deletes_and_patch_directives_work()
    {
        Assert.Equal("{\"metadata\":{\"labels\":{\"b\":\"2\"}}}",
            Merge("{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}", "{\"metadata\":{\"labels\":{\"a\":null}}}"));
        Assert.Equal("{\"spec\":{\"securityContext\":{\"runAsUser\":1}}}",
            Merge("{\"spec\":{\"securityContext\":{\"fsGroup\":2}}}", "{\"spec\":{\"securityContext\":{\"$patch\":\"replace\",\"runAsUser\":1}}}"));
        Assert.Equal("{\"spec\":{\"volumes\":[{\"name\":\"b\"}]}}",
            Merge("{\"spec\":{\"volumes\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}", "{\"spec\":{\"volumes\":[{\"name\":\"a\",\"$patch\":\"delete\"}]}}"));
        Assert.Equal("{\"spec\":{\"volumes\":[{\"name\":\"c\"}]}}",
            Merge("{\"spec\":{\"volumes\":[{\"name\":\"a\"}]}}", "{\"spec\":{\"volumes\":[{\"$patch\":\"replace\"},{\"name\":\"c\"}]}}"));
    }

    [Fact]
    public void Finalizers_merge_as_a_set()
    {
        Assert.Equal("{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
            Merge("{\"metadata\":{\"finalizers\":[\"a\"]}}", "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}"));
    }

    [Fact]
    public void A_pod_field_of_the_wrong_type_is_an_injection_error()
    {
        var e = Assert.Throws<InjectionException>(() => Merge("{\"spec\":{\"containers\":\"oops\"}}", "{\"spec\":{\"containers\":[{\"name\":\"p\"}]}}"));
        Assert.Contains("spec.containers", e.Message);
        e = Assert.Throws<InjectionException>(() => Merge("{\"spec\":{\"containers\":[\"oops\"]}}", "{\"spec\":{\"containers\":[{\"name\":\"p\"}]}}"));
        Assert.Contains("spec.containers[0]", e.Message);
    }

    [Fact]
    public void The_fragment_is_never_modified()
    {
        var fragment = JsonNode.Parse("{\"spec\":{\"containers\":[{\"name\":\"p\",\"env\":[{\"name\":\"A\"}]}]}}")!.AsObject();
        var before = fragment.ToJsonString();
        var pod = JsonNode.Parse("{\"spec\":{\"containers\":[]}}")!.AsObject();
        StrategicMerge.Apply(pod, fragment, PodPart.Pod, "");
        pod["spec"]!["containers"]![0]!["env"]!.AsArray().Add((JsonNode)new JsonObject { ["name"] = "B" });
        Assert.Equal(before, fragment.ToJsonString());
    }
}
