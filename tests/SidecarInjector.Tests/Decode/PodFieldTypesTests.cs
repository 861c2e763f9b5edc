using System.Text.Json.Nodes;
using SidecarInjector.CommandLine;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Decode;

/// <summary>
/// A wrongly typed pod field is refused the same way on both paths, naming the field: the webhook
/// denies the pod, kube-inject exits 1 naming the document. Well-typed variants are accepted.
/// </summary>
public sealed class PodFieldTypesTests
{
    private const string Pod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},
         "spec":{"containers":[{"name":"web","image":"nginx","ports":[{"containerPort":80}],
           "resources":{"requests":{"cpu":"100m"}},
           "readinessProbe":{"httpGet":{"path":"/","port":80}},
           "env":[{"name":"A","value":"1"}],
           "securityContext":{"runAsUser":1000}}]}}
        """;

    public static TheoryData<string, string, string> WrongFields() => new()
    {
        // JSON field to set, the value as JSON, the path the error must name
        { "/spec/containers/0/ports/0/containerPort", "\"eighty\"", "spec.containers[0].ports[0].containerPort must be an integer" },
        { "/spec/containers/0/ports/0/containerPort", "80.5", "spec.containers[0].ports[0].containerPort must be an integer" },
        { "/spec/containers/0/resources/requests/cpu", "\"lots\"", "spec.containers[0].resources.requests.cpu must be a quantity" },
        { "/spec/containers/0/resources/limits", "{\"memory\":\"1 GB\"}", "spec.containers[0].resources.limits.memory must be a quantity" },
        { "/spec/hostNetwork", "\"yes\"", "spec.hostNetwork must be a boolean" },
        { "/spec/containers/0/readinessProbe/httpGet/port", "true", "spec.containers[0].readinessProbe.httpGet.port must be an integer or a name" },
        { "/spec/containers/0/readinessProbe/periodSeconds", "\"10s\"", "spec.containers[0].readinessProbe.periodSeconds must be an integer" },
        { "/spec/containers/0/env/0/value", "1", "spec.containers[0].env[0].value must be a string" },
        { "/spec/containers/0/env", "{\"A\":\"1\"}", "spec.containers[0].env must be a list" },
        { "/spec/containers/0/securityContext/runAsUser", "\"root\"", "spec.containers[0].securityContext.runAsUser must be an integer" },
        { "/spec/containers/0/image", "[\"nginx\"]", "spec.containers[0].image must be a string" },
        { "/metadata/labels/app", "7", "metadata.labels[\"app\"] must be a string" },
        { "/spec/volumes", "[{\"name\":3}]", "spec.volumes[0].name must be a string" },
    };

    public static TheoryData<string, string> AcceptedFields() => new()
    {
        { "/spec/containers/0/readinessProbe/httpGet/port", "\"http\"" },
        { "/spec/containers/0/resources/requests/cpu", "2" },
        { "/spec/containers/0/resources/requests/memory", "\"1.5Gi\"" },
        { "/spec/containers/0/resources/limits", "{\"cpu\":\"1e3\",\"memory\":\"128974848\"}" },
        { "/spec/hostNetwork", "null" },
        { "/spec/containers/0/ports/0/containerPort", "8080" },
    };

    [Theory]
    [MemberData(nameof(WrongFields))]
    public void Webhook_denies_a_wrongly_typed_field_naming_it(string field, string value, string expected)
    {
        var answer = InProcess.Send(Reviews.Review(With(field, value)));

        Assert.False(answer.Allowed);
        Assert.Equal(400, answer.Code);
        Assert.Contains("pod field " + expected, answer.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(WrongFields))]
    public void Kube_inject_refuses_a_wrongly_typed_field_naming_it(string field, string value, string expected)
    {
        var (code, output, error) = KubeInject(With(field, value));

        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains("document 1 (Pod web): pod field " + expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AcceptedFields))]
    public void Well_typed_variants_are_injected_on_both_paths(string field, string value)
    {
        var pod = With(field, value);

        var answer = InProcess.Send(Reviews.Review(pod));
        Assert.True(answer.Allowed, answer.Message);
        Assert.NotNull(answer.Patch);
        var (code, output, error) = KubeInject(pod);
        Assert.True(code == 0, error);
        Assert.Contains("name: istio-proxy", output, StringComparison.Ordinal);
    }

    private static (int Code, string Out, string Err) KubeInject(JsonObject pod)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        // JSON is YAML: the manifest goes in as the pod's JSON text.
        var code = InjectCommand.Run(["-f", "-"], new StringReader(pod.ToJsonString()), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static JsonObject With(string field, string value)
    {
        var pod = JsonNode.Parse(Pod)!.AsObject();
        var parts = field.TrimStart('/').Split('/');
        JsonNode parent = pod;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            parent = parent is JsonArray array ? array[int.Parse(parts[i])]! : parent[parts[i]]!;
        }
        var last = parts[^1];
        var node = JsonNode.Parse(value);
        if (parent is JsonArray list)
        {
            list[int.Parse(last)] = node;
        }
        else
        {
            parent[last] = node;
        }
        return pod;
    }
}
