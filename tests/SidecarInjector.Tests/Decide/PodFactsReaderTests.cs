using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Decide;
using SidecarInjector.Decode;
using SidecarInjector.Errors;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Decide;

/// <summary>
/// The decision's reader (straight from the pod's bytes) and the pod-field type table agree: a pod the
/// table accepts is read, and a pod the reader refuses is refused with the table's own message.
/// </summary>
public sealed class PodFactsReaderTests
{
    private static readonly string[] Fields =
    [
        "/metadata", "/metadata/labels", "/metadata/labels/app", "/metadata/annotations",
        "/metadata/annotations/kubectl.kubernetes.io~1restartedAt", "/metadata/namespace", "/metadata/name",
        "/metadata/generateName", "/spec", "/spec/hostNetwork",
    ];

    private static readonly string[] Values = ["\"text\"", "7", "1.5", "true", "false", "null", "{}", "{\"k\":\"v\"}", "{\"k\":1}", "[]", "[\"a\"]"];

    public static TheoryData<string, string> Variants()
    {
        var data = new TheoryData<string, string>();
        foreach (var field in Fields)
        {
            foreach (var value in Values)
            {
                data.Add(field, value);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_reader_and_the_field_type_table_agree(string field, string value)
    {
        var pod = Encoding.UTF8.GetBytes(With(field, value).ToJsonString());

        var tableError = Record.Exception(() => PodShape.Check(pod));
        var readerError = Record.Exception(() => PodFactsReader.Read(pod, "shop"));

        if (tableError is null)
        {
            Assert.Null(readerError);
        }
        if (readerError is not null)
        {
            Assert.IsType<InjectionException>(readerError);
            Assert.Equal(tableError!.Message, readerError.Message);
        }
    }

    [Fact]
    public void Facts_are_read_from_the_bytes()
    {
        var facts = PodFactsReader.Read(Encoding.UTF8.GetBytes(Reviews.SamplePod().ToJsonString()), "");

        Assert.Equal("shop", facts.Namespace);
        Assert.Equal("reviews-v1-6f9c7d8b5-", facts.Name);
        Assert.Equal("reviews", facts.Labels["app"]);
        Assert.False(facts.HostNetwork);
    }

    [Fact]
    public void A_null_label_value_is_the_empty_string_as_in_go()
    {
        var facts = PodFactsReader.Read(Encoding.UTF8.GetBytes("""{"metadata":{"labels":{"sidecar.istio.io/inject":null}}}"""), "shop");

        Assert.Equal("", facts.Labels["sidecar.istio.io/inject"]);
    }

    private static JsonObject With(string pointer, string value)
    {
        var pod = Reviews.SamplePod();
        var parts = pointer.TrimStart('/').Split('/');
        JsonNode parent = pod;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            parent = parent[parts[i]] ?? throw new InvalidOperationException("no " + parts[i]);
        }
        parent[parts[^1].Replace("~1", "/", StringComparison.Ordinal)] = JsonNode.Parse(value);
        return pod;
    }
}
