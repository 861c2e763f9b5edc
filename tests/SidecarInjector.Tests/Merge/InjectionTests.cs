using System.Text.Json.Nodes;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Merge;

/// <summary>Injection as the apiserver sees it: review in, patch applied by another library, pod checked.</summary>
public sealed class InjectionTests
{
    [Fact]
    public void Sample_pod_gets_the_sidecar_and_stays_a_valid_pod()
    {
        var pod = Reviews.SamplePod();
        var answer = InProcess.Send(Reviews.Review(pod));

        Assert.True(answer.Allowed);
        Assert.Equal("JSONPatch", answer.PatchType);
        var patched = Reviews.Patched(pod, answer);
        var typed = PodValidation.ParseValidPod(patched.ToJsonString());

        Assert.Equal(["reviews", "istio-proxy"], typed.Spec.Containers.Select(c => c.Name));
        Assert.Equal(["istio-init"], typed.Spec.InitContainers.Select(c => c.Name));
        Assert.Contains(typed.Spec.Volumes, v => v.Name == "kube-api-access-7xkqp");
        Assert.Contains(typed.Spec.Volumes, v => v.Name == "istio-envoy" && v.EmptyDir.Medium == "Memory");
        Assert.Equal("istio", typed.Metadata.Labels["security.istio.io/tlsMode"]);
        Assert.Equal(
            "{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],\"volumes\":[\"workload-socket\",\"credential-socket\",\"workload-certs\",\"istio-envoy\",\"istio-data\",\"istio-podinfo\",\"istio-token\",\"istiod-ca-cert\"],\"imagePullSecrets\":null,\"revision\":\"default\"}",
            typed.Metadata.Annotations["sidecar.istio.io/status"]);
        // Everything the pod had is still there, untouched.
        Assert.Equal("reviews-v1-6f9c7d8b5-", typed.Metadata.GenerateName);
        Assert.Equal("ReplicaSet", typed.Metadata.OwnerReferences.Single().Kind);
        Assert.Equal("2026-11-20T10:12:00Z", typed.Metadata.Annotations["kubectl.kubernetes.io/restartedAt"]);
        Assert.NotNull(typed.Metadata.ManagedFields);
    }

    [Fact]
    public void Reinvocation_changes_nothing()
    {
        var pod = Reviews.SamplePod();
        var first = Reviews.Patched(pod, InProcess.Send(Reviews.Review(pod)));

        var second = InProcess.Send(Reviews.Review(first));

        Assert.True(second.Allowed);
        Assert.Null(second.Patch);
    }

    [Fact]
    public void A_pod_without_labels_or_annotations_gets_their_maps_created()
    {
        var pod = Reviews.SamplePod();
        var metadata = pod["metadata"]!.AsObject();
        metadata.Remove("labels");
        metadata.Remove("annotations");
        pod["spec"]!.AsObject().Remove("volumes");
        pod["spec"]!["containers"]![0]!.AsObject().Remove("volumeMounts");

        var answer = InProcess.Send(Reviews.Review(pod));
        var typed = PodValidation.ParseValidPod(Reviews.Patched(pod, answer).ToJsonString());

        Assert.Equal("istio", typed.Metadata.Labels["security.istio.io/tlsMode"]);
        Assert.True(typed.Metadata.Annotations.ContainsKey("sidecar.istio.io/status"));
        Assert.Equal(8, typed.Spec.Volumes.Count);
    }

    [Fact]
    public void A_pod_that_defines_the_proxy_keeps_its_own_settings_on_top()
    {
        var pod = Reviews.SamplePod();
        pod["spec"]!["containers"]!.AsArray().Add((JsonNode)JsonNode.Parse("""
            {"name":"istio-proxy","image":"auto","resources":{"limits":{"memory":"2Gi"}},
             "env":[{"name":"ISTIO_META_MESH_ID","value":"my-mesh"},{"name":"MINE","value":"1"}]}
            """)!);

        var typed = PodValidation.ParseValidPod(Reviews.Patched(pod, InProcess.Send(Reviews.Review(pod))).ToJsonString());

        var proxy = typed.Spec.Containers.Single(c => c.Name == "istio-proxy");
        Assert.Equal("docker.io/istio/proxyv2:1.24.2", proxy.Image);
        Assert.Equal("2Gi", proxy.Resources.Limits["memory"].ToString());
        Assert.Equal("100m", proxy.Resources.Requests["cpu"].ToString());
        Assert.Equal("my-mesh", proxy.Env.Single(e => e.Name == "ISTIO_META_MESH_ID").Value);
        Assert.Equal("1", proxy.Env.Single(e => e.Name == "MINE").Value);
        Assert.Contains(proxy.Env, e => e.Name == "POD_NAME");
        Assert.Equal(2, typed.Spec.Containers.Count);
    }

    [Theory]
    [InlineData("label", "false")]
    [InlineData("annotation", "false")]
    public void Opted_out_pods_are_allowed_unchanged(string where, string value)
    {
        var pod = Reviews.SamplePod();
        pod["metadata"]![where == "label" ? "labels" : "annotations"]!["sidecar.istio.io/inject"] = value;
        var answer = InProcess.Send(Reviews.Review(pod));
        Assert.True(answer.Allowed);
        Assert.Null(answer.Patch);
    }

    [Fact]
    public void Host_network_pods_are_skipped()
    {
        var pod = Reviews.SamplePod();
        pod["spec"]!["hostNetwork"] = true;
        Assert.Null(InProcess.Send(Reviews.Review(pod)).Patch);
    }

    [Fact]
    public void Disabled_policy_injects_only_pods_that_ask()
    {
        var config = InProcess.Config("policy: disabled\ntemplates:\n  sidecar: |\n    spec:\n      containers:\n      - name: side\n        image: s\n");
        var pod = Reviews.SamplePod();
        Assert.Null(InProcess.Send(Reviews.Review(pod), config).Patch);
        pod["metadata"]!["labels"]!["sidecar.istio.io/inject"] = "true";
        Assert.NotNull(InProcess.Send(Reviews.Review(pod), config).Patch);
    }

    [Fact]
    public void Templates_annotation_and_aliases_select_templates()
    {
        var config = InProcess.Config("""
            defaultTemplates: [a]
            aliases:
              both: [a, b]
            templates:
              a: |
                spec:
                  containers:
                  - name: from-a
                    image: a
              b: |
                spec:
                  volumes:
                  - name: from-b
                    emptyDir: {}
            injectedAnnotations:
              example.com/injected: "yes"
            """);
        var pod = Reviews.SamplePod();
        var plain = PodValidation.ParseValidPod(Reviews.Patched(pod, InProcess.Send(Reviews.Review(pod), config)).ToJsonString());
        Assert.Contains(plain.Spec.Containers, c => c.Name == "from-a");
        Assert.DoesNotContain(plain.Spec.Volumes, v => v.Name == "from-b");
        Assert.Equal("yes", plain.Metadata.Annotations["example.com/injected"]);

        pod["metadata"]!["annotations"]!["inject.istio.io/templates"] = "both";
        var both = PodValidation.ParseValidPod(Reviews.Patched(pod, InProcess.Send(Reviews.Review(pod), config)).ToJsonString());
        Assert.Contains(both.Spec.Containers, c => c.Name == "from-a");
        Assert.Contains(both.Spec.Volumes, v => v.Name == "from-b");
        Assert.Contains("\"volumes\":[\"from-b\"]", both.Metadata.Annotations["sidecar.istio.io/status"]);
    }

    [Fact]
    public void An_unknown_template_in_the_annotation_denies_with_the_reason()
    {
        var pod = Reviews.SamplePod();
        pod["metadata"]!["annotations"]!["inject.istio.io/templates"] = "sidecar,nope";
        var answer = InProcess.Send(Reviews.Review(pod));
        Assert.False(answer.Allowed);
        Assert.Null(answer.Patch);
        Assert.Contains("'nope'", answer.Message);
    }

    [Fact]
    public void Cluster_and_network_from_the_path_reach_the_proxy()
    {
        var pod = Reviews.SamplePod();
        var answer = InProcess.Send(Reviews.Review(pod), path: "/inject/cluster/east--slash--1/net/network1");
        var typed = PodValidation.ParseValidPod(Reviews.Patched(pod, answer).ToJsonString());
        var proxy = typed.Spec.Containers.Single(c => c.Name == "istio-proxy");
        Assert.Equal("east/1", proxy.Env.Single(e => e.Name == "ISTIO_META_CLUSTER_ID").Value);
        Assert.Equal("network1", proxy.Env.Single(e => e.Name == "ISTIO_META_NETWORK").Value);
        Assert.Equal("network1", typed.Metadata.Labels["topology.istio.io/network"]);
    }

    [Fact]
    public void StatefulSet_and_bare_pods_inject_too()
    {
        var pod = Reviews.SamplePod();
        var metadata = pod["metadata"]!.AsObject();
        metadata.Remove("generateName");
        metadata["name"] = "db-0";
        metadata["ownerReferences"]![0]!["kind"] = "StatefulSet";
        metadata["ownerReferences"]![0]!["name"] = "db";
        pod["spec"]!["hostname"] = "db-0";
        pod["spec"]!["subdomain"] = "db";
        var typed = PodValidation.ParseValidPod(Reviews.Patched(pod, InProcess.Send(Reviews.Review(pod))).ToJsonString());
        Assert.Equal("db-0", typed.Metadata.Name);
        Assert.Equal(2, typed.Spec.Containers.Count);
    }
}
