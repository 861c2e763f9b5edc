using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.KubernetesGo;

/// <summary>A template whose output the direct reader does not read keeps being read in full, pod after pod.</summary>
public sealed class FullParserFallbackTests
{
    [Fact]
    public void A_template_rendering_folded_scalars_injects_every_pod_alike()
    {
        var config = InProcess.Config("""
            templates:
              sidecar: |
                spec:
                  containers:
                  - name: helper
                    image: helper
                    args:
                    - >
                      {{ .DeploymentMeta.Name }}
                      folded
            """);
        for (int i = 0; i < 40; i++)
        {
            var pod = Reviews.SamplePod();
            var answer = InProcess.Send(Reviews.Review(pod), config);
            Assert.True(answer.Allowed);
            var patched = Reviews.Patched(pod, answer);
            var helper = patched["spec"]!["containers"]!.AsArray().First(c => c!["name"]!.ToString() == "helper")!;
            Assert.StartsWith("reviews-v1 folded", helper["args"]![0]!.ToString(), StringComparison.Ordinal);
        }
    }
}
