using SidecarInjector.Configuration;
using SidecarInjector.Errors;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Merge;

/// <summary>Templates with Go-template actions, rendered per pod with Istio's data model.</summary>
public sealed class TemplatedInjectionTests
{
    private static ConfigSnapshot Config(string template, string values = "{\"global\":{\"hub\":\"docker.io/istio\",\"tag\":\"1.24.2\",\"proxy\":{\"statusPort\":15020}}}") =>
        InProcess.Config("templates:\n  sidecar: |\n" + string.Join("\n", template.Split('\n').Select(l => "    " + l)) + "\n", values);

    [Fact]
    public void Templates_see_the_pod_the_workload_and_the_values()
    {
        var config = Config("""
            metadata:
              labels:
                service.istio.io/canonical-name: {{ index .ObjectMeta.Labels `app` | default .DeploymentMeta.Name | quote }}
              annotations:
                workload-kind: {{ .TypeMeta.Kind | quote }}
                workload: "{{ .DeploymentMeta.Namespace }}/{{ .DeploymentMeta.Name }}"
                first-container: {{ (index .Spec.Containers 0).Name | quote }}
                status-port: "{{ .Values.global.proxy.statusPort }}"
            spec:
              containers:
              - name: istio-proxy
                image: {{ .ProxyImage | quote }}
                args: [{{ range $i, $c := .Spec.Containers }}{{ if $i }}, {{ end }}{{ $c.Name | quote }}{{ end }}]
                env:
                {{- range $k, $v := .ObjectMeta.Labels }}
                - name: LABEL_{{ $k | upper | replace "-" "_" }}
                  value: {{ $v | quote }}
                {{- end }}
            """);
        var pod = Reviews.SamplePod();
        var typed = PodValidation.ParseValidPod(Reviews.Patched(pod, InProcess.Send(Reviews.Review(pod), config)).ToJsonString());

        Assert.Equal("reviews", typed.Metadata.Labels["service.istio.io/canonical-name"]);
        Assert.Equal("Deployment", typed.Metadata.Annotations["workload-kind"]);
        Assert.Equal("shop/reviews-v1", typed.Metadata.Annotations["workload"]);
        Assert.Equal("reviews", typed.Metadata.Annotations["first-container"]);
        Assert.Equal("15020", typed.Metadata.Annotations["status-port"]);
        var proxy = typed.Spec.Containers.Single(c => c.Name == "istio-proxy");
        Assert.Equal("docker.io/istio/proxyv2:1.24.2", proxy.Image);
        Assert.Equal(["reviews"], proxy.Args);
        Assert.Equal("v1", proxy.Env.Single(e => e.Name == "LABEL_VERSION").Value);
        Assert.Equal("6f9c7d8b5", proxy.Env.Single(e => e.Name == "LABEL_POD_TEMPLATE_HASH").Value);
    }

    [Fact]
    public void A_template_that_fails_on_a_typical_pod_is_rejected_at_load_with_its_position()
    {
        var e = Assert.Throws<ConfigException>(() => Config("spec:\n  containers:\n  - name: x\n    image: {{ index .Spec.Containers 5 }}\n"));
        Assert.Contains("template sidecar", e.Message);
        Assert.Contains("sidecar:4:", e.Message);
        Assert.Contains("index out of range", e.Message);
    }

    [Fact]
    public void A_template_whose_output_is_not_a_pod_fragment_is_rejected_at_load()
    {
        var e = Assert.Throws<ConfigException>(() => Config("spec:\n  containers: {{ .ObjectMeta.Name | quote }}\n"));
        Assert.Contains("spec.containers must be a list", e.Message);
    }

    [Fact]
    public void Rendering_errors_for_one_pod_deny_that_pod_with_the_template_position()
    {
        var config = Config("spec:\n  containers:\n  - name: x\n    image: {{ if index .ObjectMeta.Annotations `boom` }}{{ index .Spec.Containers 5 }}{{ end }}y\n");
        var pod = Reviews.SamplePod();
        Assert.NotNull(InProcess.Send(Reviews.Review(pod), config).Patch);
        pod["metadata"]!["annotations"]!["boom"] = "1";
        var answer = InProcess.Send(Reviews.Review(pod), config);
        Assert.False(answer.Allowed);
        Assert.Contains("sidecar:4:", answer.Message);
        Assert.Contains("index out of range", answer.Message);
    }

    [Fact]
    public void Reinvocation_of_a_templated_injection_changes_nothing()
    {
        var config = Config("metadata:\n  annotations:\n    app: {{ index .ObjectMeta.Labels `app` | quote }}\nspec:\n  containers:\n  - name: istio-proxy\n    image: {{ .ProxyImage }}\n");
        var pod = Reviews.SamplePod();
        var first = Reviews.Patched(pod, InProcess.Send(Reviews.Review(pod), config));
        Assert.Null(InProcess.Send(Reviews.Review(first), config).Patch);
    }
}
