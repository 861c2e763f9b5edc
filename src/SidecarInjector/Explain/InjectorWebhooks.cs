using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using SidecarInjector.Cluster;
using SidecarInjector.Errors;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Explain;

/// <summary>
/// The MutatingWebhookConfigurations of sidecar injectors: ours (labelled
/// <c>app.kubernetes.io/name=sidecar-injector</c>, as deploy/ and <c>webhook-config</c> make them) and
/// Istio's (<c>app=sidecar-injector</c>, as its chart and <c>istioctl tag</c> make them), or those named.
/// Offline, they come from a manifest, or are the one deploy/ installs (compiled into the binary).
/// </summary>
internal static class InjectorWebhooks
{
    private const string EmbeddedName = "SidecarInjector.DefaultWebhooks.yaml";

    public static List<V1MutatingWebhookConfiguration> Pick(IEnumerable<V1MutatingWebhookConfiguration> all, IReadOnlyCollection<string> names)
    {
        var picked = new List<V1MutatingWebhookConfiguration>();
        foreach (var configuration in all)
        {
            var labels = configuration.Metadata?.Labels;
            bool chosen = names.Count > 0
                ? names.Contains(configuration.Metadata?.Name ?? "")
                : labels is not null && (labels.TryGetValue("app.kubernetes.io/name", out var ours) && ours == "sidecar-injector"
                    || labels.TryGetValue("app", out var istios) && istios == "sidecar-injector");
            if (chosen)
            {
                picked.Add(configuration);
            }
        }
        picked.Sort((a, b) => string.CompareOrdinal(a.Metadata?.Name, b.Metadata?.Name));
        return picked;
    }

    /// <summary>Every MutatingWebhookConfiguration in a YAML or JSON manifest (documents, or a List as kubectl prints it).</summary>
    /// <exception cref="ConfigException">The manifest cannot be read, or a configuration is not one Kubernetes would take.</exception>
    public static List<V1MutatingWebhookConfiguration> Parse(string text, string sourceName)
    {
        var found = new List<V1MutatingWebhookConfiguration>();
        foreach (var document in YamlDocument.ParseAll(text, sourceName))
        {
            if (document is not JsonObject o)
            {
                continue;
            }
            var items = o["kind"]?.ToString() is "List" or "MutatingWebhookConfigurationList" ? o["items"] as JsonArray ?? [] : new JsonArray(o.DeepClone());
            foreach (var item in items)
            {
                if (item is JsonObject candidate && candidate["kind"]?.ToString() == "MutatingWebhookConfiguration")
                {
                    try
                    {
                        found.Add(candidate.Deserialize(ClusterJson.Default.V1MutatingWebhookConfiguration)!);
                    }
                    catch (JsonException e)
                    {
                        throw new ConfigException(sourceName, 0, 0,
                            $"MutatingWebhookConfiguration {candidate["metadata"]?["name"]}: {e.Message}");
                    }
                }
            }
        }
        return found;
    }

    /// <summary>The MutatingWebhookConfiguration deploy/base installs (the same file, compiled in).</summary>
    public static List<V1MutatingWebhookConfiguration> Deployed()
    {
        using var stream = typeof(InjectorWebhooks).Assembly.GetManifestResourceStream(EmbeddedName)
            ?? throw new InvalidOperationException("missing embedded resource " + EmbeddedName);
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "deploy/base/mutatingwebhookconfiguration.yaml");
    }
}
