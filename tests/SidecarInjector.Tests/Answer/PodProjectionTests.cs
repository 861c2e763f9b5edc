using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Render;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

public sealed class PodProjectionTests
{
    private static PrunableFields DefaultFields => PrunableFields.For(InProcess.DefaultConfig);

    private static (bool Built, JsonObject? Projected, PodProjection Projection) Project(string pod)
    {
        var projection = new PodProjection();
        bool built = projection.Build(Encoding.UTF8.GetBytes(pod), DefaultFields);
        return (built, built ? JsonNode.Parse(projection.Bytes)!.AsObject() : null, projection);
    }

    private const string Pod = """
        {"metadata":{"name":"web","labels":{"app":"web"},"managedFields":[{"manager":"kubectl","time":"2026-11-28T10:00:00Z"}]},
         "spec":{"containers":[
           {"name":"web","image":"nginx","env":[{"name":"A","value":"1"}],"resources":{"limits":{"cpu":"1"}},
            "ports":[{"containerPort":80}],"readinessProbe":{"httpGet":{"port":80}},"lifecycle":{"preStop":{"exec":{"command":["x"]}}},
            "securityContext":{"runAsUser":1000},"command":["/web"],"args":["-v"],"volumeMounts":[{"name":"t","mountPath":"/t"}]},
           {"name":"side","image":"busybox","env":[]}],
          "volumes":[{"name":"t","projected":{"sources":[{"serviceAccountToken":{"path":"token"}}]}},{"name":"e","emptyDir":{}}]}}
        """;

    [Fact]
    public void Cuts_what_injection_never_reads_and_keeps_every_list_in_shape()
    {
        var (built, projected, projection) = Project(Pod);
        Assert.True(built);
        var web = projected!["spec"]!["containers"]![0]!.AsObject();
        foreach (var cut in (string[])["env", "resources", "command", "args", "volumeMounts"])
        {
            Assert.StartsWith("\u0001", web[cut]!.GetValue<string>());
        }
        foreach (var kept in (string[])["name", "image", "ports", "readinessProbe", "lifecycle", "securityContext"])
        {
            Assert.Equal(JsonNode.Parse(Pod)!["spec"]!["containers"]![0]![kept]!.ToJsonString(), web[kept]!.ToJsonString());
        }
        // Each placeholder stands for one value: two cut values never compare equal.
        Assert.Equal(5, web.Select(p => p.Value).OfType<JsonValue>().Select(v => v.ToJsonString()).Where(t => t.Contains("\\u0001")).Distinct().Count());
        Assert.Equal(2, projected["spec"]!["containers"]!.AsArray().Count);
        Assert.Empty(projected["metadata"]!["managedFields"]!.AsArray());
        Assert.Equal(["web"], projection.PrunedContainers);
    }

    [Fact]
    public void An_empty_list_is_kept_because_a_template_may_test_its_truth()
    {
        var (_, projected, _) = Project(Pod);
        Assert.Equal("[]", projected!["spec"]!["containers"]![1]!["env"]!.ToJsonString());
    }

    [Fact]
    public void A_volume_keeps_its_name_and_loses_a_non_empty_source()
    {
        var (_, projected, projection) = Project(Pod);
        var volumes = projected!["spec"]!["volumes"]!.AsArray();
        Assert.Equal("t", volumes[0]!["name"]!.GetValue<string>());
        Assert.StartsWith("\u0001", volumes[0]!["projected"]!.GetValue<string>());
        Assert.Equal("{}", volumes[1]!["emptyDir"]!.ToJsonString());
        Assert.Equal(["t"], projection.PrunedVolumes);
    }

    [Theory]
    [InlineData("""{"metadata":{"annotations":{"sidecar.istio.io/status":"{}"}},"spec":{"containers":[{"name":"a","env":[{"name":"A"}]}]}}""")]
    [InlineData("""{"metadata":{"annotations":{"sidecar.istio.io\u002fstatus":"{}"}},"spec":{"containers":[{"name":"a","env":[{"name":"A"}]}]}}""")]
    [InlineData("""{"metadata":{"name":"bare"},"spec":{"containers":[{"name":"a","image":"nginx"}]}}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"spec":{"containers":[{"name":"a","env":[}]}}""")]
    public void Declines_a_pod_it_cannot_help_or_cannot_trust(string pod)
    {
        // A previous injection (also behind an escaped key), nothing to cut, not an object, broken JSON.
        Assert.False(Project(pod).Built);
    }

    [Theory]
    [InlineData("""{"spec":{"containers":[{"image":"nginx","env":[{"name":"A"}]}]}}""")]
    [InlineData("""{"spec":{"containers":[{"name":"a","\u0065nv":[{"name":"A"}],"env":[{"name":"B"}]}]}}""")]
    [InlineData("""{"spec":{"containers":[{"name":{"not":"a string"},"env":[{"name":"A"}]}]}}""")]
    public void Leaves_a_container_whole_unless_it_has_a_plain_name(string pod)
    {
        // A template's container merges with the pod's by name: one without a plain name cannot be checked.
        Assert.False(Project(pod).Built);
    }

    [Fact]
    public void Collides_when_a_template_injects_a_container_or_volume_the_pod_has_with_cut_fields()
    {
        var (_, _, projection) = Project(Pod);
        Assert.False(projection.Collides(new InjectedNames(["istio-init"], ["istio-proxy"], ["istio-envoy"], [])));
        Assert.True(projection.Collides(new InjectedNames([], ["web"], [], [])));
        Assert.True(projection.Collides(new InjectedNames(["web"], [], [], [])));
        Assert.True(projection.Collides(new InjectedNames([], [], ["t"], [])));
        // The container without cut fields may merge: its projection is the container itself.
        Assert.False(projection.Collides(new InjectedNames([], ["side"], ["e"], [])));
    }

    [Theory]
    [InlineData("""[{"op":"add","path":"/x","value":"\u0001"}]""", true)]
    [InlineData("""[{"op":"add","path":"/x","value":"{\"a\":\"\\u0001\"}"}]""", true)]
    [InlineData("""[{"op":"add","path":"/x","value":"u00012"}]""", true)]
    [InlineData("""[{"op":"add","path":"/x","value":"u0002"}]""", false)]
    public void Sees_a_placeholder_however_often_it_was_escaped(string patch, bool leaked)
    {
        Assert.Equal(leaked, PodProjection.Leaked(Encoding.UTF8.GetBytes(patch)));
    }

    [Fact]
    public void Sees_a_placeholder_in_a_warning()
    {
        Assert.True(PodProjection.Leaked(["port \u00013 is not a number"]));
        Assert.False(PodProjection.Leaked(["nothing here"]));
        Assert.False(PodProjection.Leaked((IReadOnlyList<string>?)null));
    }
}
