using System.Text.Json.Nodes;
using SidecarInjector.KubernetesGo;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.KubernetesGo;

/// <summary>
/// The emitter must write YAML byte for byte as sigs.k8s.io/yaml does. Istio's golden files were
/// written by it, so reading each golden document and writing it again must give the same text.
/// </summary>
public sealed class GoYamlTests
{
    /// <summary>Goldens that kube-inject writes (the OpenShift cases skip kube-inject, so theirs are hand-written).</summary>
    public static TheoryData<string> GoldenFiles()
    {
        var data = new TheoryData<string>();
        var seen = new HashSet<string>();
        foreach (var c in JsonNode.Parse(File.ReadAllText(Path.Combine(Paths.IstioTestdata, "cases.json")))!.AsArray())
        {
            var want = c!["want"]?.GetValue<string>();
            if (want is not null && !c["skipKubeInject"]!.GetValue<bool>() && seen.Add(want))
            {
                data.Add(want);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public void Golden_documents_round_trip_byte_for_byte(string file)
    {
        var text = File.ReadAllText(Path.Combine(Paths.IstioTestdata, "inject", file));
        var documents = text.Split("\n---\n");
        foreach (var document in documents)
        {
            var trimmed = document.TrimStart('-', '\n');
            // Documents kube-inject does not know (a Service) are copied through as they were written.
            if (trimmed.Trim().Length == 0 || trimmed.StartsWith("kind: Service", StringComparison.Ordinal))
            {
                continue;
            }
            var node = YamlDocument.Parse(trimmed, file);
            var emitted = GoYaml.Emit(node);
            Assert.Equal(trimmed.TrimEnd('\n', '-').TrimEnd() + "\n", emitted);
        }
    }

    [Theory]
    [InlineData("{\"a\":\"true\",\"b\":\"15020\",\"c\":\"\",\"d\":\"y\",\"e\":\"1:20\"}", "a: \"true\"\nb: \"15020\"\nc: \"\"\nd: \"y\"\ne: \"1:20\"\n")]
    [InlineData("{\"a\":\"{\\\"x\\\":1}\",\"b\":\"- x\",\"c\":\"a: b\",\"d\":\" lead\",\"e\":\"it's\"}", "a: '{\"x\":1}'\nb: '- x'\nc: 'a: b'\nd: ' lead'\ne: it's\n")]
    [InlineData("{\"l\":[1,{\"a\":[]},[2,3]],\"m\":{}}", "l:\n- 1\n- a: []\n- - 2\n  - 3\nm: {}\n")]
    [InlineData("{\"s\":\"line1\\nline2\\n\",\"t\":\"x\\ny\"}", "s: |\n  line1\n  line2\nt: |-\n  x\n  y\n")]
    [InlineData("{\"f\":0.5,\"g\":1000000.5,\"z\":null,\"n\":1}", "f: 0.5\ng: 1.0000005e+06\n\"n\": 1\nz: null\n")]
    public void Scalars_are_styled_as_go_yaml_styles_them(string json, string yaml)
    {
        Assert.Equal(yaml, GoYaml.Emit(JsonNode.Parse(json)));
    }
}
