using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using SidecarInjector.Configuration;

namespace SidecarInjector.Cluster;

/// <summary>
/// One-off reads of the objects check-inject needs (a pod or a workload, its Namespace, the webhook
/// configurations, the injector's ConfigMap), with the credentials of the person running it.
/// A missing object is null; any other refusal is an <see cref="ApiException"/> with the
/// apiserver's own message (403 names the RBAC the user lacks).
/// </summary>
internal sealed class ClusterReads(ApiClient api)
{
    private const string WebhookConfigurations = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";

    /// <summary>A pod or a workload (its pod template is what check-inject reads), or null when there is no such object.</summary>
    public async Task<JsonObject?> ObjectAsync(WorkloadReference reference, string ns, CancellationToken cancel) =>
        await GetAsync(reference.PathIn(ns), cancel).ConfigureAwait(false);

    public async Task<JsonObject?> NamespaceAsync(string name, CancellationToken cancel) =>
        await GetAsync($"/api/v1/namespaces/{Uri.EscapeDataString(name)}", cancel).ConfigureAwait(false);

    /// <summary>Every MutatingWebhookConfiguration of the cluster (the caller picks the injectors' ones).</summary>
    public async Task<List<V1MutatingWebhookConfiguration>> WebhookConfigurationsAsync(CancellationToken cancel)
    {
        using var response = await api.SendAsync(HttpMethod.Get, WebhookConfigurations, null, cancel).ConfigureAwait(false);
        using var document = await ApiClient.ReadJsonAsync(response, cancel).ConfigureAwait(false);
        var list = document.RootElement.Deserialize(ClusterJson.Default.V1MutatingWebhookConfigurationList);
        return [.. list?.Items ?? []];
    }

    /// <summary>The injector's config as a ConfigMap of the cluster holds it, or null when there is no such ConfigMap.</summary>
    public async Task<ConfigLoader.ConfigFiles?> ConfigMapAsync(string ns, string name, CancellationToken cancel)
    {
        var configMap = await GetAsync($"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/configmaps/{Uri.EscapeDataString(name)}", cancel)
            .ConfigureAwait(false);
        // JSON is YAML: the manifest reader that takes `kubectl get cm -o yaml` takes the API's object.
        return configMap is null ? null : ConfigManifest.Parse(configMap.ToJsonString(), $"ConfigMap {ns}/{name}");
    }

    private async Task<JsonObject?> GetAsync(string path, CancellationToken cancel)
    {
        using var response = await api.SendAsync(HttpMethod.Get, path, null, cancel).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        using var document = await ApiClient.ReadJsonAsync(response, cancel).ConfigureAwait(false);
        return JsonNode.Parse(document.RootElement.GetRawText()) as JsonObject;
    }
}
