using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Configuration;
using SidecarInjector.Render;
using SidecarInjector.Tests.Conformance;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Render;

/// <summary>
/// A render's key read from the pod's raw JSON (the direct path) is the key the merge reads from the
/// same pod parsed, byte for byte: renders kept by either path are found by both. Seeded random pods,
/// with the shapes the generators add, under the default config and both corpora's templates.
/// </summary>
public sealed class RenderKeyRawTests
{
    public static TheoryData<string> Configs() => new("default", "walker", IstioCorpus.Head.Name, IstioCorpus.December.Name);

    /// <summary>A template that walks maps (their keys and length), which the shipped templates only look up by key.</summary>
    private const string Walker = """
        policy: enabled
        defaultTemplates: [walk]
        templates:
          walk: |
            metadata:
              annotations:
                labels: "{{ range $k, $v := .ObjectMeta.Labels }}{{ $k }}={{ $v }},{{ end }}"
                count: "{{ len .ObjectMeta.Annotations }}"
                first: "{{ range .Spec.Containers }}{{ range $k, $v := .Resources.Requests }}{{ $k }}{{ end }}{{ end }}"
        """;

    private static ConfigSnapshot ConfigNamed(string name) => name switch
    {
        "default" => InProcess.DefaultConfig,
        "walker" => InProcess.Config(Walker),
        _ => IstioCorpus.Named(name).DefaultSettings(),
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void The_raw_pods_key_is_the_parsed_pods_key(string name)
    {
        var key = ConfigNamed(name).DefaultTemplateSet[0].Key;
        Assert.NotNull(key);
        var fromTree = new ArrayBufferWriter<byte>();
        var fromRaw = new ArrayBufferWriter<byte>();
        using var scratch = new Utf8JsonWriter(fromTree);
        for (int i = 0; i < 2_000; i++)
        {
            var generator = new RandomWorkloads(31_000 + i);
            var workload = generator.Next();
            var pod = generator.Pod(workload, i % 3);
            ProjectionShapes.AddSome(pod, new Random(i));
            ProbeShapes.AddSome(pod, new Random(i + 1));
            MetricsShapes.AddSome(pod, new Random(i + 2));
            if (i % 5 == 0)
            {
                // Escapes and nulls the two readings must see alike.
                pod["metadata"]!["annotations"]!["sidecar.istio.io/proxyImageType"] = null;
                pod["metadata"]!["labels"]!["app"] = "caf\u00e9 <&>";
                pod["metadata"]!["labels"]!["caf\u00e9/<x>"] = "v";
            }
            var bytes = Encoding.UTF8.GetBytes(pod.ToJsonString());
            var inputs = new RenderInputs(workload.Namespace, "default", ProxyIds.Default, i % 2 == 0, null);

            // As the merge sees it: parsed, managedFields dropped.
            var parsed = JsonNode.Parse(bytes)!.AsObject();
            (parsed["metadata"] as JsonObject)?.Remove("managedFields");
            if (i % 2 == 1)
            {
                // Every node built, as after a step that touched them: the tree's own walk, not the raw one it hands raw parts to.
                SidecarInjector.Json.JsonTrees.BuildAll(parsed);
            }
            fromTree.ResetWrittenCount();
            key!.Write(fromTree, parsed, inputs, scratch);

            using var document = JsonDocument.Parse(bytes);
            fromRaw.ResetWrittenCount();
            key.Write(fromRaw, document.RootElement, inputs, InjectionData.DeploymentMeta(document.RootElement, workload.Namespace));

            Assert.True(fromTree.WrittenSpan.SequenceEqual(fromRaw.WrittenSpan), $"{name}, pod {i}: the keys differ\n{pod.ToJsonString()}");
        }
    }
}
