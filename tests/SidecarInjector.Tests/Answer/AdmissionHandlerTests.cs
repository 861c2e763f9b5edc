using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Decode;
using SidecarInjector.Errors;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

public sealed class AdmissionHandlerTests
{
    [Theory]
    [InlineData("v1")]
    [InlineData("v1beta1")]
    public void Answers_in_the_request_version_with_its_uid(string version)
    {
        var answer = InProcess.Send(Reviews.Review(Reviews.SamplePod(), version: version, uid: "abc-123"));
        Assert.Equal("admission.k8s.io/" + version, answer.ApiVersion);
        Assert.Equal("abc-123", answer.Uid);
        Assert.True(answer.Allowed);
        Assert.NotNull(answer.Patch);
    }

    [Theory]
    [InlineData("UPDATE", "Pod", "")]
    [InlineData("DELETE", "Pod", "")]
    [InlineData("CREATE", "ConfigMap", "")]
    [InlineData("CREATE", "Pod", "example.com")]
    public void Anything_but_a_pod_create_is_allowed_unchanged(string operation, string kind, string group)
    {
        var answer = InProcess.Send(Reviews.Review(Reviews.SamplePod(), operation: operation, kind: kind, group: group));
        Assert.True(answer.Allowed);
        Assert.Null(answer.Patch);
    }

    [Theory]
    [InlineData("metadata", "\"a string\"", "metadata must be a mapping")]
    [InlineData("labels", "[1]", "metadata.labels must be a mapping")]
    [InlineData("annotation", "7", "metadata.annotations[\"x\"] must be a string")]
    [InlineData("hostNetwork", "\"yes\"", "spec.hostNetwork must be a boolean")]
    [InlineData("containers", "{\"name\":\"c\"}", "spec.containers")]
    [InlineData("volumes", "\"v\"", "spec.volumes")]
    [InlineData("container", "\"just a string\"", "spec.containers[0]")]
    [InlineData("port", "8080", "pod field spec.containers[0].ports[0] must be a mapping")]
    [InlineData("env", "{\"A\":\"1\"}", "pod field spec.containers[0].env must be a list")]
    [InlineData("probe", "\"/ready\"", "pod field spec.containers[0].readinessProbe must be a mapping")]
    public void Pods_with_wrongly_typed_fields_are_denied_with_a_clear_message(string field, string json, string expected)
    {
        var pod = Reviews.SamplePod();
        var value = JsonNode.Parse(json);
        switch (field)
        {
            case "metadata": pod["metadata"] = value; break;
            case "labels": pod["metadata"]!["labels"] = value; break;
            case "annotation": pod["metadata"]!["annotations"]!["x"] = value; break;
            case "hostNetwork": pod["spec"]!["hostNetwork"] = value; break;
            case "containers": pod["spec"]!["containers"] = value; break;
            case "volumes": pod["spec"]!["volumes"] = value; break;
            case "container": pod["spec"]!["containers"]![0] = value; break;
            case "port": pod["spec"]!["containers"]![0]!["ports"] = new JsonArray(value); break;
            case "env": pod["spec"]!["containers"]![0]!["env"] = value; break;
            case "probe": pod["spec"]!["containers"]![0]!["readinessProbe"] = value; break;
        }
        var answer = InProcess.Send(Reviews.Review(pod, ns: "shop"));
        Assert.False(answer.Allowed);
        Assert.Null(answer.Patch);
        Assert.Equal(400, answer.Code);
        Assert.Contains(expected, answer.Message);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("{", "not valid JSON")]
    [InlineData("[]", "must be a JSON AdmissionReview object")]
    [InlineData("{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}", "expected kind AdmissionReview")]
    [InlineData("{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v2\",\"request\":{\"uid\":\"1\"}}", "unsupported apiVersion")]
    [InlineData("{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\"}", "has no request")]
    [InlineData("{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{\"uid\":7}}", "request.uid must be a string")]
    [InlineData("{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{\"operation\":\"CREATE\"}}", "has no uid")]
    [InlineData("{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{\"uid\":\"1\",\"object\":[]}}", "request.object must be an object")]
    [InlineData("{\"kind\":\"AdmissionReview\"} trailing", "not valid JSON")]
    public void Bodies_that_are_not_reviews_are_decode_errors(string body, string expected)
    {
        var handler = new AdmissionHandler(() => InProcess.DefaultConfig, "default");
        using var output = new PooledBufferWriter();
        var e = Assert.Throws<AdmissionDecodeException>(() => handler.Handle(Encoding.UTF8.GetBytes(body), "/inject", output));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("generateName")]
    [InlineData("kind")]
    [InlineData("uid")]
    public void A_review_that_is_not_UTF_8_is_a_decode_error_not_an_internal_error(string field)
    {
        // 0xFF never occurs in UTF-8: put into a string value of the pod or the envelope.
        var review = Encoding.UTF8.GetBytes(Reviews.Review(Reviews.SamplePod())).ToList();
        int at = Encoding.UTF8.GetString([.. review]).IndexOf($"\"{field}\":\"", StringComparison.Ordinal) + field.Length + 4;
        review.Insert(at, 0xFF);
        var handler = new AdmissionHandler(() => InProcess.DefaultConfig, "default");
        using var output = new PooledBufferWriter();
        var e = Assert.Throws<AdmissionDecodeException>(() => handler.Handle(review.ToArray(), "/inject", output));
        Assert.Contains("not UTF-8", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\\uD800", true)]
    [InlineData("\\udfff-x", true)]
    [InlineData("\\uD83D\\uDE00", false)]
    [InlineData("\\u003c\\\\uD800", false)]
    public void A_string_escaping_half_a_surrogate_pair_is_a_decode_error_not_an_internal_error(string escaped, bool refused)
    {
        var review = Reviews.Review(Reviews.SamplePod()).Replace("\"generateName\":\"", "\"generateName\":\"" + escaped, StringComparison.Ordinal);
        var handler = new AdmissionHandler(() => InProcess.DefaultConfig, "default");
        using var output = new PooledBufferWriter();
        var error = Record.Exception(() => handler.Handle(Encoding.UTF8.GetBytes(review), "/inject", output));
        if (refused)
        {
            Assert.Contains("surrogate", Assert.IsType<AdmissionDecodeException>(error).Message, StringComparison.Ordinal);
        }
        else
        {
            // An escaped pair (an emoji), or an escaped backslash before "uD800": text, served as usual.
            Assert.Null(error);
        }
    }

    [Fact]
    public void Pathological_nesting_is_a_decode_error_not_a_crash()
    {
        var deep = new StringBuilder("{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{\"uid\":\"1\",\"x\":");
        for (int i = 0; i < 100_000; i++) deep.Append('[');
        for (int i = 0; i < 100_000; i++) deep.Append(']');
        deep.Append("}}");
        var handler = new AdmissionHandler(() => InProcess.DefaultConfig, "default");
        using var output = new PooledBufferWriter();
        var e = Assert.Throws<AdmissionDecodeException>(() => handler.Handle(Encoding.UTF8.GetBytes(deep.ToString()), "/inject", output));
        Assert.Contains("depth", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Deeply_nested_pod_fields_are_refused_without_a_patch()
    {
        var pod = Reviews.SamplePod();
        JsonNode nested = new JsonObject();
        var top = nested;
        for (int i = 0; i < 80; i++)
        {
            var next = new JsonObject();
            nested["n"] = next;
            nested = next;
        }
        pod["spec"]!["containers"]![0]!["x"] = top;
        var review = Reviews.Review(pod);
        var handler = new AdmissionHandler(() => InProcess.DefaultConfig, "default");
        using var output = new PooledBufferWriter();
        Assert.Throws<AdmissionDecodeException>(() => handler.Handle(Encoding.UTF8.GetBytes(review), "/inject", output));
    }

    [Fact]
    public void Without_a_config_the_handler_says_not_ready()
    {
        var handler = new AdmissionHandler(() => null, "default");
        using var output = new PooledBufferWriter();
        Assert.Throws<NotReadyException>(() => handler.Handle(Encoding.UTF8.GetBytes(Reviews.Review(Reviews.SamplePod())), "/inject", output));
    }

    [Theory]
    [InlineData("/inject", 0)]
    [InlineData("/inject/", 0)]
    [InlineData("/inject/cluster/c1/net/n1", 2)]
    [InlineData("/inject/cluster/c1/net", 1)]
    [InlineData("/inject/foo/bar", 1)]
    public void Inject_paths_become_proxy_env(string path, int count)
    {
        Assert.Equal(count, InjectPathParameters.Parse(path).Count);
    }

    [Fact]
    public void A_pod_with_a_key_twice_is_denied_as_a_bad_pod_not_an_internal_error()
    {
        var review = Reviews.Review(Reviews.SamplePod()).Replace("\"metadata\":{", "\"metadata\":{\"labels\":{\"x\":\"y\"},", StringComparison.Ordinal);

        var answer = InProcess.Send(review);

        Assert.False(answer.Allowed);
        Assert.Contains("not valid JSON", answer.Message, StringComparison.Ordinal);
        Assert.Contains("labels", answer.Message, StringComparison.Ordinal);
    }
}
