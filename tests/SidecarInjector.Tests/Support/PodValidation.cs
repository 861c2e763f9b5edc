using k8s;
using k8s.Models;

namespace SidecarInjector.Tests.Support;

/// <summary>Checks a pod with Kubernetes' own C# models (KubernetesClient), as a typed client would read it.</summary>
internal static class PodValidation
{
    public static V1Pod ParseValidPod(string json)
    {
        var pod = KubernetesJson.Deserialize<V1Pod>(json);
        Assert.NotNull(pod);
        Assert.NotNull(pod.Spec);
        Assert.NotEmpty(pod.Spec.Containers);
        var names = new HashSet<string>();
        foreach (var c in pod.Spec.Containers)
        {
            Assert.False(string.IsNullOrEmpty(c.Name));
            Assert.True(names.Add(c.Name), "duplicate container name " + c.Name);
        }
        foreach (var c in pod.Spec.InitContainers ?? [])
        {
            Assert.True(names.Add(c.Name), "duplicate container name " + c.Name);
        }
        var volumes = new HashSet<string>();
        foreach (var v in pod.Spec.Volumes ?? [])
        {
            Assert.True(volumes.Add(v.Name), "duplicate volume " + v.Name);
        }
        // Every mount must name a volume that exists, or the apiserver rejects the pod (422).
        foreach (var c in pod.Spec.Containers.Concat(pod.Spec.InitContainers ?? []))
        {
            foreach (var m in c.VolumeMounts ?? [])
            {
                Assert.Contains(m.Name, volumes);
            }
        }
        return pod;
    }
}
