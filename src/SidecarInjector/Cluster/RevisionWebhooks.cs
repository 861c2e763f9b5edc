using k8s.Models;

namespace SidecarInjector.Cluster;

/// <summary>
/// The MutatingWebhookConfiguration of one revision or tag, with Istio's selector set (its chart's
/// mutatingwebhook.yaml and <c>istioctl tag generate</c>): <c>istio.io/rev=&lt;value&gt;</c> on the
/// namespace (without <c>istio-injection</c>) or on the pod (in a namespace with neither label);
/// with <c>default</c>, also <c>istio-injection=enabled</c> namespaces and
/// <c>sidecar.istio.io/inject=true</c> pods. A pod labelled <c>sidecar.istio.io/inject=false</c> is
/// never sent. Canary upgrades run one injector per revision side by side, each with its own.
/// </summary>
internal static class RevisionWebhooks
{
    private const string Rev = "istio.io/rev";
    private const string InjectionLabel = "istio-injection";
    private const string InjectLabel = "sidecar.istio.io/inject";

    /// <param name="revision">The injector's --revision ("default" for the unnamed one).</param>
    /// <param name="tag">A tag that points at the revision (prod → 1-24): selectors use it instead of the revision.</param>
    /// <param name="isDefault">Also take the revision-less selectors (istio-injection=enabled, sidecar.istio.io/inject=true).</param>
    public static V1MutatingWebhookConfiguration Build(string revision, string? tag, bool isDefault, string serviceNamespace, string serviceName,
        byte[]? caBundle, string path = "/inject")
    {
        var value = tag ?? revision;
        var name = tag is not null ? $"sidecar-injector-tag-{tag}" : revision == "default" ? "sidecar-injector" : $"sidecar-injector-{revision}";
        var labels = new Dictionary<string, string> { [Rev] = revision, ["app.kubernetes.io/name"] = "sidecar-injector" };
        if (tag is not null)
        {
            labels["istio.io/tag"] = tag;
        }
        var webhooks = new List<V1MutatingWebhook>
        {
            Webhook("rev.namespace.", caBundle, serviceNamespace, serviceName, path,
                Selector(In(Rev, value), DoesNotExist(InjectionLabel)), Selector(NotIn(InjectLabel, "false"))),
            Webhook("rev.object.", caBundle, serviceNamespace, serviceName, path,
                Selector(DoesNotExist(Rev), DoesNotExist(InjectionLabel)), Selector(NotIn(InjectLabel, "false"), In(Rev, value))),
        };
        if (isDefault)
        {
            webhooks.Add(Webhook("namespace.", caBundle, serviceNamespace, serviceName, path,
                Selector(In(InjectionLabel, "enabled")), Selector(NotIn(InjectLabel, "false"))));
            webhooks.Add(Webhook("object.", caBundle, serviceNamespace, serviceName, path,
                Selector(DoesNotExist(InjectionLabel), DoesNotExist(Rev)), Selector(In(InjectLabel, "true"), DoesNotExist(Rev))));
        }
        return new V1MutatingWebhookConfiguration
        {
            ApiVersion = "admissionregistration.k8s.io/v1",
            Kind = "MutatingWebhookConfiguration",
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
            Webhooks = webhooks,
        };
    }

    private static V1MutatingWebhook Webhook(string prefix, byte[]? caBundle, string serviceNamespace, string serviceName, string path,
        V1LabelSelector namespaces, V1LabelSelector objects) => new()
        {
            Name = prefix + "sidecar-injector.istio.io",
            ClientConfig = new Admissionregistrationv1WebhookClientConfig
            {
                Service = new Admissionregistrationv1ServiceReference { Name = serviceName, NamespaceProperty = serviceNamespace, Path = path, Port = 443 },
                CaBundle = caBundle,
            },
            Rules = [new V1RuleWithOperations { Operations = ["CREATE"], ApiGroups = [""], ApiVersions = ["v1"], Resources = ["pods"] }],
            SideEffects = "None",
            FailurePolicy = "Fail",
            ReinvocationPolicy = "Never",
            AdmissionReviewVersions = ["v1", "v1beta1"],
            TimeoutSeconds = 10,
            NamespaceSelector = namespaces,
            ObjectSelector = objects,
        };

    private static V1LabelSelector Selector(params V1LabelSelectorRequirement[] requirements) => new() { MatchExpressions = requirements };

    private static V1LabelSelectorRequirement In(string key, string value) => new() { Key = key, OperatorProperty = "In", Values = [value] };

    private static V1LabelSelectorRequirement NotIn(string key, string value) => new() { Key = key, OperatorProperty = "NotIn", Values = [value] };

    private static V1LabelSelectorRequirement DoesNotExist(string key) => new() { Key = key, OperatorProperty = "DoesNotExist" };
}
