using System.Xml.Linq;
using k8s;
using k8s.Models;
using SidecarInjector.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace SidecarInjector.Tests.Deploy;

/// <summary>
/// deploy/ as `kubectl apply -k` sees it: rendered by kubectl's own kustomize, every object read
/// with Kubernetes' models and written back, so that a misspelt or misplaced field (which the
/// models drop) fails here instead of being pruned or refused by the apiserver.
/// </summary>
public sealed class RenderedManifestTests
{
    /// <summary>Kinds of the overlays, each with the model that must hold it whole.</summary>
    private static readonly Dictionary<string, Type> Models = new(StringComparer.Ordinal)
    {
        ["v1/Namespace"] = typeof(V1Namespace),
        ["v1/ServiceAccount"] = typeof(V1ServiceAccount),
        ["v1/ConfigMap"] = typeof(V1ConfigMap),
        ["v1/Service"] = typeof(V1Service),
        ["apps/v1/Deployment"] = typeof(V1Deployment),
        ["policy/v1/PodDisruptionBudget"] = typeof(V1PodDisruptionBudget),
        ["admissionregistration.k8s.io/v1/MutatingWebhookConfiguration"] = typeof(V1MutatingWebhookConfiguration),
        ["rbac.authorization.k8s.io/v1/ClusterRole"] = typeof(V1ClusterRole),
        ["rbac.authorization.k8s.io/v1/ClusterRoleBinding"] = typeof(V1ClusterRoleBinding),
    };

    public static TheoryData<string> Overlays() => new() { "deploy", "deploy/self-signed", "deploy/revisions/canary" };

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Every_rendered_object_is_a_valid_kubernetes_object(string overlay)
    {
        var kinds = new List<string>();
        foreach (var document in Documents(Kustomize.Render(overlay)))
        {
            var kind = Scalar(document, "apiVersion") + "/" + Scalar(document, "kind");
            kinds.Add(kind);
            if (Models.TryGetValue(kind, out var model))
            {
                AssertModelHoldsEveryField(document, model, kind);
            }
            else
            {
                AssertCertManagerObject(document, kind);
            }
        }
        Assert.Contains("apps/v1/Deployment", kinds);
        Assert.Contains("admissionregistration.k8s.io/v1/MutatingWebhookConfiguration", kinds);
        Assert.Contains("v1/ConfigMap", kinds);
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Rendered_webhook_leaves_the_ca_bundle_to_whoever_injects_it(string overlay)
    {
        var config = Single<V1MutatingWebhookConfiguration>(Kustomize.Render(overlay));
        // Any caBundle in the manifest, "" included, overwrites the injected CA on every re-apply.
        Assert.All(config.Webhooks, w => Assert.Null(w.ClientConfig.CaBundle));
        if (overlay == "deploy")
        {
            Assert.Equal("sidecar-injector/sidecar-injector-serving", config.Metadata.Annotations["cert-manager.io/inject-ca-from"]);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Rendered_deployment_runs_the_pinned_release(string overlay)
    {
        var deployment = Single<V1Deployment>(Kustomize.Render(overlay));
        var image = Assert.Single(deployment.Spec.Template.Spec.Containers).Image;
        var version = XDocument.Load(Path.Combine(Paths.RepositoryRoot, "src", "SidecarInjector", "SidecarInjector.csproj"))
            .Descendants("Version").Single().Value;
        Assert.Equal("sidecar-injector:" + version, image);
        // Installing must not depend on a priority class some providers refuse outside kube-system.
        Assert.Null(deployment.Spec.Template.Spec.PriorityClassName);
    }

    [SkippableFact]
    public void Critical_priority_component_adds_the_priority_class()
    {
        var overlay = Directory.CreateTempSubdirectory("overlay");
        try
        {
            var deploy = Path.Combine(Paths.RepositoryRoot, "deploy");
            File.WriteAllText(Path.Combine(overlay.FullName, "kustomization.yaml"), $"""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources: [{Path.GetRelativePath(overlay.FullName, deploy)}]
                components: [{Path.GetRelativePath(overlay.FullName, Path.Combine(deploy, "components", "critical-priority"))}]
                """);
            var deployment = Single<V1Deployment>(Kustomize.Render(overlay.FullName));
            Assert.Equal("system-cluster-critical", deployment.Spec.Template.Spec.PriorityClassName);
        }
        finally
        {
            overlay.Delete(recursive: true);
        }
    }

    private static T Single<T>(string rendered)
    {
        var kind = typeof(T).Name[2..];
        var document = Assert.Single(Documents(rendered), d => Scalar(d, "kind") == kind);
        return KubernetesYaml.Deserialize<T>(Write(document));
    }

    /// <summary>Read with the model and written back: a field the model does not know is lost, and that fails.</summary>
    private static void AssertModelHoldsEveryField(YamlMappingNode document, Type model, string kind)
    {
        var text = Write(document);
        var typed = typeof(KubernetesYaml).GetMethod(nameof(KubernetesYaml.Deserialize), [typeof(string), typeof(bool)])!
            .MakeGenericMethod(model).Invoke(null, [text, true])!;
        var roundTripped = Documents(KubernetesYaml.Serialize(typed)).Single();
        Assert.True(Same(document, roundTripped, out var where), $"{kind} {Scalar(document["metadata"], "name")}: {where} is not a field of {model.Name}");
    }

    private static void AssertCertManagerObject(YamlMappingNode document, string kind)
    {
        var spec = Assert.IsType<YamlMappingNode>(document["spec"]);
        switch (kind)
        {
            case "cert-manager.io/v1/Issuer":
                Assert.True(spec.Children.ContainsKey("selfSigned") || spec.Children.ContainsKey("ca"), "Issuer needs selfSigned or ca");
                break;
            case "cert-manager.io/v1/Certificate":
                Assert.NotNull(Scalar(spec, "secretName"));
                Assert.NotNull(Scalar(spec["issuerRef"], "name"));
                break;
            default:
                Assert.Fail("deploy/ renders a kind no test validates: " + kind);
                break;
        }
    }

    private static bool Same(YamlNode expected, YamlNode actual, out string where, string path = "")
    {
        where = path;
        switch (expected)
        {
            case YamlScalarNode e:
                return actual is YamlScalarNode a && e.Value == a.Value;
            case YamlSequenceNode e:
                if (actual is not YamlSequenceNode seq || seq.Children.Count != e.Children.Count)
                {
                    return false;
                }
                for (int i = 0; i < e.Children.Count; i++)
                {
                    if (!Same(e.Children[i], seq.Children[i], out where, $"{path}[{i}]"))
                    {
                        return false;
                    }
                }
                return true;
            case YamlMappingNode e:
                if (actual is not YamlMappingNode map)
                {
                    return false;
                }
                foreach (var (key, value) in e.Children)
                {
                    var name = ((YamlScalarNode)key).Value!;
                    if (!map.Children.TryGetValue(key, out var other) || !Same(value, other, out where, path + "." + name))
                    {
                        where = where.Length > 0 ? where : path + "." + name;
                        return false;
                    }
                }
                return true;
            default:
                return false;
        }
    }

    private static string? Scalar(YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(key, out var value) && value is YamlScalarNode s ? s.Value : null;

    private static List<YamlMappingNode> Documents(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var documents = new List<YamlMappingNode>();
        foreach (var document in stream.Documents)
        {
            documents.Add(Assert.IsType<YamlMappingNode>(document.RootNode));
        }
        return documents;
    }

    private static string Write(YamlMappingNode document)
    {
        using var text = new StringWriter();
        new YamlStream(new YamlDocument(document)).Save(text, assignAnchors: false);
        return text.ToString();
    }
}
