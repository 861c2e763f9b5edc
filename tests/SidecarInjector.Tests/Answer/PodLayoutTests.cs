using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Decide;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// The decision's facts read from the metadata the key's pass found (<see cref="WorkloadKey.Layout"/>) are
/// the facts of the whole pod: on random pods, on pods with one decision field of any type, and on the
/// forms the key's pass must not trust (a field twice, escaped names, metadata or spec in odd places).
/// </summary>
public sealed class PodLayoutTests
{
    private static readonly string[] Values = ["\"text\"", "7", "true", "false", "null", "{}", "{\"k\":\"v\"}", "{\"k\":1}", "[]"];

    private static readonly string[] Fields =
        ["/metadata", "/metadata/labels", "/metadata/labels/app", "/metadata/annotations", "/metadata/name", "/metadata/namespace", "/spec", "/spec/hostNetwork"];

    public static TheoryData<string> Odd() =>
    [
        """{"metadata":{"name":"a"},"metadata":{"name":"b","labels":{"x":"y"}},"spec":{}}""",
        """{"metadata":{"name":"a"},"spec":{"hostNetwork":true},"spec":{"hostNetwork":false}}""",
        """{"metadata":{"name":"a"},"spec":{"hostNetwork":true,"hostNetwork":false}}""",
        """{"metad\u0061ta":{"name":"a","labels":{"sidecar.istio.io/inject":"false"}},"spec":{}}""",
        """{"metadata":{"name":"a"},"spec":{"hostN\u0065twork":true}}""",
        """{"spec":{"hostNetwork":true,"containers":[{"name":"c"}]},"metadata":{"name":"a","annotations":{"k":"v"}}}""",
        """{"metadata":null,"spec":{"hostNetwork":true}}""",
        """{"spec":{"hostNetwork":true}}""",
        """{"metadata":{"generateName":"g-","name":"n"},"spec":null}""",
        """{"metadata":{"name":"a"},"spec":"nope"}""",
        """{"metadata":{"name":"a"},"spec":{"hostNetwork":"yes"}}""",
        """{"metadata":{"labels":{"a":"1"},"labels":{"b":"2"}}}""",
    ];

    [Theory]
    [MemberData(nameof(Odd))]
    public void Odd_pods_give_the_facts_of_the_whole_pod(string pod) => AssertSameFacts(Encoding.UTF8.GetBytes(pod));

    [Fact]
    public void Random_and_mistyped_pods_give_the_facts_of_the_whole_pod()
    {
        var generator = new RandomWorkloads(11);
        int known = 0;
        for (int i = 0; i < 500; i++)
        {
            var pod = generator.Pod(generator.Next(), i % 3);
            known += AssertSameFacts(Encoding.UTF8.GetBytes(pod.ToJsonString())) ? 1 : 0;
            foreach (var field in Fields)
            {
                var mutated = pod.DeepClone().AsObject();
                Set(mutated, field, JsonNode.Parse(Values[(i + field.Length) % Values.Length]));
                AssertSameFacts(Encoding.UTF8.GetBytes(mutated.ToJsonString()));
            }
        }
        Assert.Equal(500, known);
    }

    /// <summary>True when the key's pass knew the layout (the facts then came from the metadata alone).</summary>
    private static bool AssertSameFacts(byte[] pod)
    {
        using var key = new WorkloadKey();
        if (!key.Build(pod, SiblingMasks.None))
        {
            return false;
        }
        var layout = key.Layout;
        var whole = Record.Exception(() => PodFactsReader.Read(pod, "shop"));
        var fromLayout = Record.Exception(() => PodFactsReader.Read(pod, "shop", layout));
        Assert.Equal(whole?.GetType(), fromLayout?.GetType());
        Assert.Equal(whole?.Message, fromLayout?.Message);
        if (whole is null)
        {
            var expected = PodFactsReader.Read(pod, "shop");
            var actual = PodFactsReader.Read(pod, "shop", layout);
            Assert.Equal(expected.Name, actual.Name);
            Assert.Equal(expected.Namespace, actual.Namespace);
            Assert.Equal(expected.HostNetwork, actual.HostNetwork);
            Assert.Equal(expected.Labels, actual.Labels);
            Assert.Equal(expected.Annotations, actual.Annotations);
        }
        return layout.Known;
    }

    private static void Set(JsonObject pod, string pointer, JsonNode? value)
    {
        var parts = pointer.Trim('/').Split('/');
        JsonObject parent = pod;
        foreach (var part in parts[..^1])
        {
            if (parent[part] is not JsonObject child)
            {
                child = [];
                parent[part] = child;
            }
            parent = child;
        }
        parent[parts[^1]] = value;
    }
}
