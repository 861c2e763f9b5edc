using SidecarInjector.Tests.Conformance;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Configuration;

/// <summary>
/// A snapshot is shared by every review of its version: injecting, whatever the pod, never changes
/// what it holds (its values and mesh config are read, never written).
/// </summary>
public sealed class ConfigSnapshotTests
{
    public static TheoryData<string> Configs() => new() { "embedded default", "istio default" };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Injecting_pods_leaves_the_snapshot_as_it_was(string which)
    {
        var config = which == "istio default" ? IstioCorpus.December.Settings(IstioCorpus.December.Cases().First(c => (string?)c!["settings"] == "default")!.AsObject()) : InProcess.DefaultConfig;
        var values = config.Values.ToJsonString();
        var mesh = config.Mesh.ToJsonString();

        foreach (var file in new[] { "hello-probes.yaml", "hello-multi.yaml", "merge-probers.yaml", "status_params.yaml", "traffic-params.yaml" })
        {
            foreach (var pod in IstioCorpus.Pods(IstioCorpus.December.Document(file)))
            {
                InProcess.Send(Reviews.Review(pod, ns: "shop"), config);
            }
        }
        InProcess.Send(Reviews.Review(Reviews.SamplePod()), config);

        Assert.Equal(values, config.Values.ToJsonString());
        Assert.Equal(mesh, config.Mesh.ToJsonString());
    }
}
