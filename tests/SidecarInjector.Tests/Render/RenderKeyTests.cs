using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Json;
using SidecarInjector.Render;
using SidecarInjector.Tests.Conformance;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Render;

/// <summary>
/// Renders kept by what they depend on (<see cref="RenderKey"/>): pods that differ only in what the
/// template does not read (a new ReplicaSet's pod-template-hash and image, names, uids, env) share a
/// render; pods that differ in what it reads (a label, a container's name or port, an annotation it
/// looks up) each get their own; every answer equals the one of a handler that renders afresh.
/// </summary>
public sealed class RenderKeyTests
{
    public static TheoryData<string> Configs() => new("default", "istio");

    /// <summary>A config of its own for each test: its templates count their key hits.</summary>
    private static ConfigSnapshot ConfigNamed(string name) => name == "istio" ? IstioCorpus.Head.DefaultSettings() : ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault());

    private static Reviews.Answer Send(AdmissionHandler handler, JsonObject pod)
    {
        using var output = new PooledBufferWriter();
        handler.Handle(Encoding.UTF8.GetBytes(Reviews.Review(pod, ns: "shop", uid: Guid.NewGuid().ToString())), "/inject", output);
        return Reviews.Parse(Reviews.Utf8(output.WrittenSpan));
    }

    private static void AssertAnsweredAsAfresh(ConfigSnapshot config, AdmissionHandler keyed, JsonObject pod, string what)
    {
        var viaKey = Send(keyed, pod);
        var afresh = Send(new AdmissionHandler(() => config, "default") { UseRenderKeys = false, RememberAnswers = false }, pod);
        Assert.True(viaKey.Allowed && afresh.Allowed, what + ": " + (viaKey.Message ?? afresh.Message));
        Assert.True(IndependentJsonPatch.SameJson(Reviews.Patched(pod, afresh).ToJsonString(), Reviews.Patched(pod, viaKey).ToJsonString()),
            $"{what}: the patched pods differ");
    }

    /// <summary>A pod of a new ReplicaSet of the sample's Deployment: new hash, image, name and uid; the same app.</summary>
    private static JsonObject Rollout(int release)
    {
        var pod = Reviews.SamplePod();
        var hash = "7c9d8f" + release.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
        pod["metadata"]!["generateName"] = $"reviews-v1-{hash}-";
        pod["metadata"]!["labels"]!["pod-template-hash"] = hash;
        pod["metadata"]!["ownerReferences"]![0]!["name"] = $"reviews-v1-{hash}";
        pod["metadata"]!["ownerReferences"]![0]!["uid"] = Guid.NewGuid().ToString();
        pod["metadata"]!.AsObject().Remove("managedFields");
        var container = pod["spec"]!["containers"]![0]!.AsObject();
        container["image"] = $"docker.io/istio/examples-bookinfo-reviews-v1:1.20.{release}";
        container["env"]!.AsArray().Add((JsonNode)new JsonObject { ["name"] = "RELEASE", ["value"] = release.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return pod;
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void A_new_rollouts_pods_share_the_render_of_the_first(string configName)
    {
        var config = ConfigNamed(configName);
        // No memo: every pod is a first pod, as each ReplicaSet's first pod is.
        var handler = new AdmissionHandler(() => config, "default") { RememberAnswers = false };
        for (int release = 0; release < 6; release++)
        {
            AssertAnsweredAsAfresh(config, handler, Rollout(release), $"release {release}");
        }
        var template = config.DefaultTemplateSet[0];
        Assert.True(template.HasRenderKey);
        // The first render is kept, the second confirms it, the rest come from the key.
        long hits = template.KeyHits;
        if (configName == "istio")
        {
            // Istio's template reads the containers' images (OpenTelemetry's service.version): every release renders.
            Assert.Equal(0, hits);
        }
        else
        {
            Assert.Equal(4, hits);
        }
        Assert.False(template.KeyDisagreed);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Pods_that_differ_in_what_the_template_reads_get_their_own_render(string configName)
    {
        var config = ConfigNamed(configName);
        var handler = new AdmissionHandler(() => config, "default") { RememberAnswers = false };
        var changes = new Action<JsonObject>[]
        {
            _ => { },
            pod => pod["metadata"]!["labels"]!["app"] = "ratings",
            pod => pod["metadata"]!["labels"]!["version"] = "v2",
            pod => pod["metadata"]!["labels"]!.AsObject().Remove("version"),
            pod => pod["spec"]!["containers"]![0]!["name"] = "reviews-main",
            pod => pod["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"] = 9081,
            pod => pod["spec"]!["containers"]!.AsArray().Add((JsonNode)new JsonObject { ["name"] = "logger", ["image"] = "busybox" }),
            pod => pod["metadata"]!["annotations"]!["sidecar.istio.io/proxyCPU"] = "300m",
            pod => pod["metadata"]!["annotations"]!["traffic.sidecar.istio.io/excludeOutboundPorts"] = "5432",
            pod => pod["metadata"]!["annotations"]!["proxy.istio.io/config"] = "{\"holdApplicationUntilProxyStarts\": true}",
            pod => pod["metadata"]!["ownerReferences"]![0]!["name"] = "details-v1-6f9c7d8b5",
            pod => pod["metadata"]!["ownerReferences"]![0]!["kind"] = "StatefulSet",
            pod => pod["spec"]!["serviceAccountName"] = "other",
        };
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < changes.Length; i++)
            {
                var pod = Reviews.SamplePod();
                changes[i](pod);
                AssertAnsweredAsAfresh(config, handler, pod, $"change {i}, round {round}");
            }
        }
        Assert.False(config.DefaultTemplateSet[0].KeyDisagreed);
    }

    [Fact]
    public void A_namespace_or_revision_the_template_reads_is_part_of_the_key()
    {
        var config = InProcess.Config("""
            templates:
              sidecar: |
                metadata:
                  annotations:
                    seen: "{{ .DeploymentMeta.Namespace }}/{{ .Revision }}"
            """);
        var template = config.DefaultTemplateSet[0];
        var pod = Reviews.SamplePod();
        foreach (var (ns, revision) in new[] { ("shop", "default"), ("shop", "default"), ("shop", "default"), ("bank", "default"), ("shop", "canary") })
        {
            var handler = new AdmissionHandler(() => config, revision) { RememberAnswers = false };
            using var output = new PooledBufferWriter();
            handler.Handle(Encoding.UTF8.GetBytes(Reviews.Review(pod, ns: ns)), "/inject", output);
            var patched = Reviews.Patched(pod, Reviews.Parse(Reviews.Utf8(output.WrittenSpan)));
            Assert.Equal($"{ns}/{revision}", patched["metadata"]!["annotations"]!["seen"]!.GetValue<string>());
        }
        Assert.Equal(1, template.KeyHits);
    }

    [Fact]
    public void A_template_that_hands_on_its_whole_data_is_rendered_every_time()
    {
        var config = InProcess.Config("""
            templates:
              sidecar: |
                metadata:
                  annotations:
                    size: "{{ len (toJson .) }}"
            """);
        Assert.False(config.DefaultTemplateSet[0].HasRenderKey);
        InProcess.Send(Reviews.Review(Reviews.SamplePod()), config);
    }

    [Fact]
    public void The_key_knows_every_field_of_the_template_data()
    {
        var pod = Reviews.SamplePod();
        var data = InjectionData.Build(pod, "shop", InProcess.DefaultConfig.Settings, "default");
        Assert.Equal(InjectionData.Fields.Order(StringComparer.Ordinal), data.Fields.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_key_that_misses_a_dependence_costs_a_render_never_a_wrong_answer()
    {
        // A function that reads a label it does not declare: the key, built from the declarations, misses it.
        var functions = GoTemplates.Builtins.AddTo(new GoTemplates.FunctionTable())
            .Add("peek", 1, 1, a => a[0] is GoTemplates.GoStruct meta && meta.Field("Labels") is GoTemplates.GoMap labels
                ? labels.Entries.GetValueOrDefault("secret") : "")
            .DeclareReads("peek", new GoTemplates.ArgumentRead(0, "Labels", "app"));
        var template = SidecarTemplate.FromGoTemplate("liar",
            GoTemplates.GoTemplate.Parse("liar", "metadata:\n  annotations:\n    seen: \"{{ peek .ObjectMeta }}\"\n", functions));
        Assert.True(template.HasRenderKey);
        var counted = new List<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "sidecar_injector_render_key_disagreements_total")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "template" && tag.Value is string name)
                {
                    lock (counted)
                    {
                        counted.Add(name);
                    }
                }
            }
        });
        listener.Start();
        var settings = InProcess.DefaultConfig.Settings;
        string Seen(string secret)
        {
            var pod = Reviews.SamplePod();
            pod["metadata"]!["labels"]!["secret"] = secret;
            var inputs = new RenderInputs("shop", "default", ProxyIds.Default, true, null);
            var fragment = template.Render(() => InjectionData.Build(pod, "shop", settings, "default"), pod, inputs).Fragment;
            return fragment["metadata"]!["annotations"]!["seen"]!.GetValue<string>();
        }
        Assert.Equal("one", Seen("one"));
        // Same key, another render: the key's first reuse is rendered and compared, and the answer is the pod's own.
        Assert.Equal("two", Seen("two"));
        Assert.True(template.KeyDisagreed);
        // Counted where operators look (other tests' templates never disagree).
        lock (counted)
        {
            Assert.Equal(["liar"], counted);
        }
        Assert.Equal("three", Seen("three"));
        Assert.Equal("one", Seen("one"));
        Assert.Equal(0, template.KeyHits);
    }
}
