using System.Text.Json.Nodes;
using k8s.Models;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Configuration;

/// <summary>
/// The embedded default config (what --dev, `inject` without --config-dir and deploy/ use) on real
/// pods: every field that depends on the pod is computed from that pod, as Istio's template does.
/// Each pod goes through the webhook, its patch applied by an independent JSON-patch library, and
/// the result is read with Kubernetes' own models.
/// </summary>
public sealed class DefaultConfigTests
{
    private static V1Pod Inject(JsonObject pod)
    {
        var answer = InProcess.Send(Reviews.Review(pod));
        Assert.True(answer.Allowed, answer.Message);
        Assert.NotNull(answer.Patch);
        return PodValidation.ParseValidPod(Reviews.Patched(pod, answer).ToJsonString());
    }

    private static JsonObject Pod(string containers = """[{"name":"nginx","image":"nginx"}]""", string labels = "{}",
        string annotations = "{}") =>
        JsonNode.Parse($$$"""
            {"apiVersion":"v1","kind":"Pod",
             "metadata":{"name":"web-1","namespace":"shop","labels":{{{labels}}},"annotations":{{{annotations}}}},
             "spec":{"containers":{{{containers}}}}}
            """)!.AsObject();

    private static V1Container Proxy(V1Pod pod) => pod.Spec.Containers.Single(c => c.Name == "istio-proxy");

    private static string? Env(V1Container container, string name) => container.Env?.SingleOrDefault(e => e.Name == name)?.Value;

    [Fact]
    public void Default_logs_container_is_the_pods_first_container_whatever_its_name()
    {
        var pod = Inject(Pod("""[{"name":"nginx","image":"nginx"},{"name":"logger","image":"busybox"}]"""));

        Assert.Equal("nginx", pod.Metadata.Annotations["kubectl.kubernetes.io/default-logs-container"]);
        Assert.Equal("nginx", pod.Metadata.Annotations["kubectl.kubernetes.io/default-container"]);
    }

    [Fact]
    public void Default_logs_container_the_pod_chose_is_kept()
    {
        var pod = Inject(Pod("""[{"name":"nginx","image":"nginx"},{"name":"logger","image":"busybox"}]""",
            annotations: """{"kubectl.kubernetes.io/default-logs-container":"logger"}"""));

        Assert.Equal("logger", pod.Metadata.Annotations["kubectl.kubernetes.io/default-logs-container"]);
    }

    [Fact]
    public void The_sample_pods_default_container_is_its_own()
    {
        var pod = Inject(Reviews.SamplePod());

        Assert.Equal("reviews", pod.Metadata.Annotations["kubectl.kubernetes.io/default-logs-container"]);
    }

    [Fact]
    public void A_pods_own_prometheus_settings_are_carried_to_the_agent()
    {
        var pod = Inject(Pod(annotations: """{"prometheus.io/scrape":"true","prometheus.io/port":"9090","prometheus.io/path":"/m"}"""));

        var carried = JsonNode.Parse(Env(Proxy(pod), "ISTIO_PROMETHEUS_ANNOTATIONS")!)!.AsObject();
        Assert.Equal("true", (string?)carried["scrape"]);
        Assert.Equal("9090", (string?)carried["port"]);
        Assert.Equal("/m", (string?)carried["path"]);
        // Prometheus now scrapes the agent, which merges the app's metrics with its own.
        Assert.Equal("15020", pod.Metadata.Annotations["prometheus.io/port"]);
        Assert.Equal("/stats/prometheus", pod.Metadata.Annotations["prometheus.io/path"]);
    }

    [Fact]
    public void A_pod_that_opts_out_of_scraping_is_not_scraped()
    {
        var pod = Inject(Pod(annotations: """{"prometheus.io/scrape":"false"}"""));

        Assert.Equal("false", pod.Metadata.Annotations["prometheus.io/scrape"]);
        Assert.Null(Env(Proxy(pod), "ISTIO_PROMETHEUS_ANNOTATIONS"));
    }

    [Fact]
    public void App_containers_and_their_ports_are_told_to_the_proxy()
    {
        var pod = Inject(Pod("""
            [{"name":"api","image":"a","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}]},
             {"name":"admin","image":"b","ports":[{"containerPort":9000}]}]
            """));

        Assert.Equal("api,admin", Env(Proxy(pod), "ISTIO_META_APP_CONTAINERS"));
        var ports = JsonNode.Parse(Env(Proxy(pod), "ISTIO_META_POD_PORTS")!)!.AsArray();
        Assert.Equal(2, ports.Count);
        Assert.Equal(8080, (int)ports[0]!["containerPort"]!);
        Assert.Equal("http", (string?)ports[0]!["name"]);
        Assert.Equal(9000, (int)ports[1]!["containerPort"]!);
    }

    [Fact]
    public void Canonical_name_and_revision_come_from_the_pods_labels()
    {
        var byApp = Inject(Pod(labels: """{"app":"ratings","version":"v2"}"""));
        Assert.Equal("ratings", byApp.Metadata.Labels["service.istio.io/canonical-name"]);
        Assert.Equal("v2", byApp.Metadata.Labels["service.istio.io/canonical-revision"]);

        var byKubernetesLabels = Inject(Pod(labels: """{"app":"x","app.kubernetes.io/name":"shop-api","app.kubernetes.io/version":"1.4"}"""));
        Assert.Equal("shop-api", byKubernetesLabels.Metadata.Labels["service.istio.io/canonical-name"]);
        Assert.Equal("1.4", byKubernetesLabels.Metadata.Labels["service.istio.io/canonical-revision"]);
    }

    [Fact]
    public void A_deployments_pod_is_named_for_its_deployment()
    {
        var pod = Inject(Reviews.SamplePod());

        // ReplicaSet reviews-v1-6f9c7d8b5 with pod-template-hash 6f9c7d8b5 belongs to Deployment reviews-v1.
        Assert.Equal("reviews-v1", Env(Proxy(pod), "ISTIO_META_WORKLOAD_NAME"));
        Assert.Equal("kubernetes://apis/apps/v1/namespaces/shop/deployments/reviews-v1", Env(Proxy(pod), "ISTIO_META_OWNER"));
        Assert.Equal("reviews", pod.Metadata.Labels["service.istio.io/canonical-name"]);
        Assert.Equal("v1", pod.Metadata.Labels["service.istio.io/canonical-revision"]);
    }

    [Fact]
    public void Status_port_and_excluded_ports_reach_the_iptables_rules()
    {
        var pod = Inject(Pod(annotations: """{"status.sidecar.istio.io/port":"15555","traffic.sidecar.istio.io/excludeInboundPorts":"7000"}"""));

        var args = pod.Spec.InitContainers.Single(c => c.Name == "istio-init").Args;
        // Istio's excludeInboundPort appends the status port to the pod's own list.
        Assert.Equal("15090,15021,7000,15555", args[args.IndexOf("-d") + 1]);
        Assert.Equal("7000,15555", pod.Metadata.Annotations["traffic.sidecar.istio.io/excludeInboundPorts"]);
    }

    [Fact]
    public void Interception_mode_none_needs_no_init_container()
    {
        var pod = Inject(Pod(annotations: """{"sidecar.istio.io/interceptionMode":"NONE"}"""));

        Assert.Null(pod.Spec.InitContainers);
        Assert.Equal("NONE", Env(Proxy(pod), "ISTIO_META_INTERCEPTION_MODE"));
    }

    [Fact]
    public void Proxy_resources_follow_the_pods_annotations()
    {
        var pod = Inject(Pod(annotations: """{"sidecar.istio.io/proxyCPU":"50m","sidecar.istio.io/proxyMemoryLimit":"256Mi"}"""));

        var resources = Proxy(pod).Resources;
        Assert.Equal("50m", resources.Requests["cpu"].ToString());
        Assert.False(resources.Requests.ContainsKey("memory"));
        Assert.Equal("256Mi", resources.Limits["memory"].ToString());
        Assert.False(resources.Limits.ContainsKey("cpu"));
    }

    [Fact]
    public void Without_resource_annotations_the_values_defaults_apply()
    {
        var pod = Inject(Pod());

        Assert.Equal("100m", Proxy(pod).Resources.Requests["cpu"].ToString());
        Assert.Equal(1024m * 1024 * 1024, Proxy(pod).Resources.Limits["memory"].ToDecimal());
    }

    [Fact]
    public void A_proxy_image_annotation_replaces_both_images()
    {
        var pod = Inject(Pod(annotations: """{"sidecar.istio.io/proxyImage":"registry.example/proxyv2:debug"}"""));

        Assert.Equal("registry.example/proxyv2:debug", Proxy(pod).Image);
        Assert.Equal("registry.example/proxyv2:debug", pod.Spec.InitContainers.Single().Image);
    }

    [Fact]
    public void Kube_inject_computes_the_same_per_pod_fields()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var manifest = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: guestbook
              annotations: {prometheus.io/scrape: "true", prometheus.io/port: "9090"}
            spec:
              containers:
              - name: frontend
                image: guestbook
            """;
        var code = SidecarInjector.CommandLine.InjectCommand.Run(["-f", "-"], new StringReader(manifest), output, error);

        Assert.Equal(0, code);
        Assert.Contains("kubectl.kubernetes.io/default-logs-container: frontend", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("""value: '{"scrape":"true","path":"","port":"9090"}'""", output.ToString(), StringComparison.Ordinal);
    }
}
