using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.Merge;

namespace SidecarInjector.Tests.Merge;

/// <summary>Istio's applyPrometheusMerge and applySecurePrometheusAnnotation, as of August 2026.</summary>
public sealed class PrometheusMergeTests
{
    private static readonly JsonObject Mesh = new() { ["defaultConfig"] = new JsonObject { ["statusPort"] = 15020 } };

    private static JsonObject Pod(string annotations, string proxyEnv = "[]") => (JsonObject)JsonNode.Parse($$"""
        { "metadata": { "annotations": {{annotations}} },
          "spec": { "containers": [ { "name": "app" }, { "name": "istio-proxy", "env": {{proxyEnv}} } ] } }
        """)!;

    private static string? ScrapeEnv(JsonObject pod)
    {
        foreach (var e in pod["spec"]!["containers"]![1]!["env"]!.AsArray())
        {
            if (e!["name"]!.ToString() == "ISTIO_PROMETHEUS_ANNOTATIONS")
            {
                return e["value"]!.ToString();
            }
        }
        return null;
    }

    [Fact]
    public void Every_field_is_written_as_go_writes_the_struct_even_when_empty()
    {
        var pod = Pod("""{ "prometheus.io/port": "9090" }""");
        PrometheusMerge.Apply(pod, Mesh);
        Assert.Equal("""{"scrape":"","path":"","port":"9090"}""", ScrapeEnv(pod));
        var annotations = pod["metadata"]!["annotations"]!;
        Assert.Equal("15020", annotations["prometheus.io/port"]!.ToString());
        Assert.Equal("/stats/prometheus", annotations["prometheus.io/path"]!.ToString());
        Assert.Equal("true", annotations["prometheus.io/scrape"]!.ToString());
    }

    [Fact]
    public void Scrape_targets_become_targets_and_the_first_one_the_legacy_port_and_path()
    {
        var pod = Pod("""{ "prometheus.io/scrape": "true", "prometheus.istio.io/scrape-targets": " 8080:/metrics , 9100:, 9200:/custom " }""");
        PrometheusMerge.Apply(pod, Mesh);
        Assert.Equal(
            """{"scrape":"true","path":"/metrics","port":"8080","targets":[{"port":"8080","path":"/metrics"},{"port":"9100","path":"/metrics"},{"port":"9200","path":"/custom"}]}""",
            ScrapeEnv(pod));
        Assert.Null(pod["metadata"]!["annotations"]!["prometheus.istio.io/scrape-targets"]);
    }

    [Fact]
    public void A_malformed_target_list_is_ignored_with_a_warning_and_the_legacy_annotations_apply()
    {
        var pod = Pod("""{ "prometheus.io/port": "8080", "prometheus.istio.io/scrape-targets": ":/metrics" }""");
        var warnings = new List<string>();
        PrometheusMerge.Apply(pod, Mesh, warnings);
        Assert.Equal("""{"scrape":"","path":"","port":"8080"}""", ScrapeEnv(pod));
        Assert.Contains(warnings, w => w.Contains("empty port in scrape target", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{ "prometheus.io/port": "15090" }""", "port 15090 is reserved for Istio (Envoy Prometheus (already merged))")]
    [InlineData("""{ "prometheus.io/port": "http" }""", "invalid port \"http\"")]
    [InlineData("""{ "prometheus.io/port": "70000" }""", "invalid port \"70000\"")]
    [InlineData("""{ "prometheus.istio.io/scrape-targets": "8080:/metrics,15000:/stats" }""", "target port 15000 is reserved for Istio (Envoy admin)")]
    [InlineData("""{ "prometheus.istio.io/scrape-targets": "015020:/metrics" }""", "target port 015020 conflicts with agent port")]
    public void A_port_that_is_not_the_apps_fails_the_injection(string annotations, string message)
    {
        var e = Assert.Throws<InjectionException>(() => PrometheusMerge.Apply(Pod(annotations), Mesh));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("false")]
    [InlineData("0")]
    [InlineData("F")]
    public void Scrape_false_in_any_spelling_go_reads_leaves_the_pod_alone(string value)
    {
        var pod = Pod($$"""{ "prometheus.io.scrape": "{{value}}", "prometheus.io/port": "8080" }""");
        var before = pod.ToJsonString();
        PrometheusMerge.Apply(pod, Mesh);
        Assert.Equal(before, pod.ToJsonString());
    }

    [Fact]
    public void A_secure_metrics_port_on_the_proxy_is_published_unless_the_pod_set_one()
    {
        var env = """[ { "name": "ENVOY_SECURE_MERGED_METRICS_PORT", "value": "15091" } ]""";
        var pod = Pod("{}", env);
        PrometheusMerge.Apply(pod, Mesh);
        Assert.Equal("15091", pod["metadata"]!["annotations"]!["prometheus.istio.io/secure-port"]!.ToString());

        var own = Pod("""{ "prometheus.istio.io/secure-port": "9443" }""", env);
        PrometheusMerge.Apply(own, Mesh);
        Assert.Equal("9443", own["metadata"]!["annotations"]!["prometheus.istio.io/secure-port"]!.ToString());
    }
}
