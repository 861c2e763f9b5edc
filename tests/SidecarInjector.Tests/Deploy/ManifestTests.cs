using k8s;
using k8s.Models;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Deploy;

/// <summary>
/// The manifests in deploy/ read as Kubernetes objects (KubernetesClient's models) and hold the
/// production rules: hardened pod, probes on the admin port, a webhook that fails closed.
/// </summary>
public sealed class ManifestTests
{
    private static string Base(string file) => File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "deploy", "base", file));

    [Fact]
    public void Deployment_is_hardened_and_probed_on_the_admin_port()
    {
        var deployment = KubernetesYaml.Deserialize<V1Deployment>(Base("deployment.yaml"));
        Assert.Equal(2, deployment.Spec.Replicas);
        var pod = deployment.Spec.Template.Spec;
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.NotEqual(0, pod.SecurityContext.RunAsUser);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        Assert.NotEmpty(pod.TopologySpreadConstraints);
        var container = Assert.Single(pod.Containers);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
        Assert.Contains("ALL", container.SecurityContext.Capabilities.Drop);
        Assert.NotNull(container.Resources.Requests["cpu"]);
        Assert.NotNull(container.Resources.Limits["memory"]);
        foreach (var probe in new[] { container.ReadinessProbe, container.LivenessProbe, container.StartupProbe })
        {
            Assert.Equal("admin", probe.HttpGet.Port.Value);
        }
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
        // Whole-directory mounts: a subPath mount would never see kubelet's ..data swap.
        Assert.All(container.VolumeMounts, m => Assert.Null(m.SubPath));
        Assert.Contains(container.Args, a => a.StartsWith("--config-dir=/etc/sidecar-injector/config"));
        Assert.True(deployment.Spec.Template.Metadata.Labels["sidecar.istio.io/inject"] == "false");
    }

    /// <summary>Least privilege: read namespaces; list and watch nodes; read and patch its own webhook configuration, by name; nothing else.</summary>
    [Fact]
    public void Cluster_role_grants_exactly_what_the_cluster_features_use()
    {
        var documents = Base("rbac.yaml").Split("\n---\n");
        var role = KubernetesYaml.Deserialize<V1ClusterRole>(documents[0]);
        var binding = KubernetesYaml.Deserialize<V1ClusterRoleBinding>(documents[1]);
        Assert.Equal(3, role.Rules.Count);
        var namespaces = Assert.Single(role.Rules, r => r.Resources.Contains("namespaces"));
        Assert.Equal(["get", "list", "watch"], namespaces.Verbs);
        var nodes = Assert.Single(role.Rules, r => r.Resources.Contains("nodes"));
        Assert.Equal(["nodes"], nodes.Resources);
        Assert.Equal(["list", "watch"], nodes.Verbs);
        var webhooks = Assert.Single(role.Rules, r => r.Resources.Contains("mutatingwebhookconfigurations"));
        Assert.Equal(["sidecar-injector"], webhooks.ResourceNames);
        Assert.Equal(["get", "list", "watch", "patch"], webhooks.Verbs);
        Assert.All(role.Rules, r => Assert.DoesNotContain("*", r.Verbs.Concat(r.Resources).Concat(r.ApiGroups)));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", "sidecar-injector", "sidecar-injector"), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Equal(role.Metadata.Name, binding.RoleRef.Name);

        var deployment = KubernetesYaml.Deserialize<V1Deployment>(Base("deployment.yaml"));
        var args = Assert.Single(deployment.Spec.Template.Spec.Containers).Args;
        Assert.Contains("--webhook-config-name=sidecar-injector", args);
        Assert.Contains("--ca-file=/etc/sidecar-injector/certs/ca.crt", args);
    }

    [Fact]
    public void Webhook_configuration_fails_closed_and_skips_the_injector()
    {
        var config = KubernetesYaml.Deserialize<V1MutatingWebhookConfiguration>(Base("mutatingwebhookconfiguration.yaml"));
        var webhook = Assert.Single(config.Webhooks);
        Assert.Equal("Fail", webhook.FailurePolicy);
        Assert.Equal("None", webhook.SideEffects);
        Assert.Equal(10, webhook.TimeoutSeconds);
        Assert.Equal("IfNeeded", webhook.ReinvocationPolicy);
        Assert.Equal(["v1", "v1beta1"], webhook.AdmissionReviewVersions);
        Assert.Equal("enabled", webhook.NamespaceSelector.MatchLabels["sidecar-injection"]);
        Assert.Contains(webhook.ObjectSelector.MatchExpressions, e => e.Key == "app.kubernetes.io/name" && e.OperatorProperty == "NotIn");
        Assert.Equal("/inject", webhook.ClientConfig.Service.Path);
        var rule = Assert.Single(webhook.Rules);
        Assert.Equal(["CREATE"], rule.Operations);
        Assert.Equal(["pods"], rule.Resources);
    }

    [Fact]
    public void Every_base_manifest_is_a_kubernetes_object()
    {
        Assert.IsType<V1Namespace>(KubernetesYaml.Deserialize<V1Namespace>(Base("namespace.yaml")));
        Assert.False(KubernetesYaml.Deserialize<V1ServiceAccount>(Base("serviceaccount.yaml")).AutomountServiceAccountToken);
        var service = KubernetesYaml.Deserialize<V1Service>(Base("service.yaml"));
        Assert.Contains(service.Spec.Ports, p => p.Port == 443 && p.TargetPort.Value == "webhook");
        var pdb = KubernetesYaml.Deserialize<V1PodDisruptionBudget>(Base("poddisruptionbudget.yaml"));
        Assert.Equal("1", pdb.Spec.MinAvailable.Value);
        var kustomization = Base("kustomization.yaml");
        foreach (var file in Directory.GetFiles(Path.Combine(Paths.RepositoryRoot, "deploy", "base"), "*.yaml"))
        {
            var name = Path.GetFileName(file);
            if (name != "kustomization.yaml")
            {
                Assert.Contains(name, kustomization);
            }
        }
    }

    [Fact]
    public void Image_runs_the_binary_as_a_non_root_user()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "Dockerfile.aot"));
        Assert.Contains("runtime-deps:${DOTNET_VERSION}-${DISTRO}-chiseled", dockerfile);
        // The SDK stage builds on the same distro, so the binary links against the glibc and OpenSSL it runs with.
        Assert.Contains("sdk:${DOTNET_VERSION}-${DISTRO} AS build", dockerfile);
        Assert.Contains("ARG DISTRO=noble", dockerfile);
        Assert.Contains("USER 1654:1654", dockerfile);
        Assert.Contains("ENTRYPOINT [\"/app/sidecar-injector\"]", dockerfile);
        var deployment = KubernetesYaml.Deserialize<V1Deployment>(Base("deployment.yaml"));
        Assert.Equal(1654, deployment.Spec.Template.Spec.SecurityContext.RunAsUser);
    }

    [Fact]
    public void Image_build_context_leaves_out_local_build_output()
    {
        var ignored = File.ReadAllLines(Path.Combine(Paths.RepositoryRoot, ".dockerignore"));
        Assert.Contains("**/bin", ignored);
        Assert.Contains("**/obj", ignored);
    }

    [Fact]
    public void Image_is_built_for_the_platform_being_built()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "Dockerfile.aot"));
        Assert.DoesNotContain("-r linux-x64", dockerfile);
        Assert.Contains("ARG TARGETARCH", dockerfile);
        Assert.Contains("arm64) echo linux-arm64", dockerfile);
    }

    [Fact]
    public void Image_restore_step_has_every_project_the_binary_references()
    {
        // The restore layer copies project files alone: a project missing there fails the image build.
        var dockerfile = File.ReadAllText(Path.Combine(Paths.RepositoryRoot, "Dockerfile.aot"));
        var pending = new Queue<string>(["src/SidecarInjector/SidecarInjector.csproj"]);
        var seen = new HashSet<string>();
        while (pending.TryDequeue(out var project))
        {
            if (!seen.Add(project))
            {
                continue;
            }
            Assert.Contains($"COPY {project} {Path.GetDirectoryName(project)}/", dockerfile);
            var xml = System.Xml.Linq.XDocument.Load(Path.Combine(Paths.RepositoryRoot, project));
            foreach (var reference in xml.Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(Paths.RepositoryRoot, Path.GetDirectoryName(project)!, reference.Attribute("Include")!.Value));
                pending.Enqueue(Path.GetRelativePath(Paths.RepositoryRoot, full).Replace('\\', '/'));
            }
        }
        Assert.Equal(2, seen.Count);
    }
}
