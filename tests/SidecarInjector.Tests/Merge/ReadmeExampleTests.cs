using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Merge;

/// <summary>The README's worked example, kept true.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void The_worked_example_renders_as_documented()
    {
        var config = InProcess.Config("""
            templates:
              sidecar: |
                metadata:
                  labels:
                    service.istio.io/canonical-name: {{ index .ObjectMeta.Labels `app` | default .DeploymentMeta.Name | quote }}
                spec:
                  containers:
                  - name: istio-proxy
                    image: {{ .ProxyImage | quote }}
                    args: [proxy, sidecar, --serviceCluster, {{ printf "%s.%s" .DeploymentMeta.Name .DeploymentMeta.Namespace | quote }}]
                    {{- with .Values.global.proxy.resources }}
                    resources:
                      {{- toYaml . | nindent 10 }}
                    {{- end }}
            """, """{"global": {"hub": "docker.io/istio", "tag": "1.24.2", "proxy": {"resources": {"requests": {"cpu": "100m"}}}}}""");
        var pod = Reviews.SamplePod();
        var typed = PodValidation.ParseValidPod(Reviews.Patched(pod, InProcess.Send(Reviews.Review(pod), config)).ToJsonString());
        Assert.Equal("reviews", typed.Metadata.Labels["service.istio.io/canonical-name"]);
        Assert.Equal(["reviews", "istio-proxy"], typed.Spec.Containers.Select(c => c.Name));
        var proxy = typed.Spec.Containers[1];
        Assert.Equal("docker.io/istio/proxyv2:1.24.2", proxy.Image);
        Assert.Equal(["proxy", "sidecar", "--serviceCluster", "reviews-v1.shop"], proxy.Args);
        Assert.Equal("100m", proxy.Resources.Requests["cpu"].ToString());
    }
}
