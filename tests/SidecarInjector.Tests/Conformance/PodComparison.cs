using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace SidecarInjector.Tests.Conformance;

/// <summary>
/// How Istio's test compares a patched pod with its golden pod: both read into the typed Pod
/// model and written again, the status annotation dropped, fieldRef.apiVersion blanked; Go's
/// zero values (an empty <c>resources: {}</c>) and absent fields count as the same.
/// </summary>
internal static class PodComparison
{
    public static JsonNode Normalize(JsonObject pod)
    {
        var typed = KubernetesJson.Deserialize<V1Pod>(pod.ToJsonString());
        typed.Metadata?.Annotations?.Remove("sidecar.istio.io/status");
        if (typed.Metadata?.Annotations is { Count: 0 })
        {
            typed.Metadata.Annotations = null;
        }
        foreach (var container in (typed.Spec?.Containers ?? []).Concat(typed.Spec?.InitContainers ?? []))
        {
            foreach (var env in container.Env ?? [])
            {
                if (env.ValueFrom?.FieldRef is { } fieldRef)
                {
                    fieldRef.ApiVersion = null;
                }
                // Go writes a zero resource.Quantity as "0": the same as no divisor.
                if (env.ValueFrom?.ResourceFieldRef is { } resourceRef && resourceRef.Divisor?.ToString() == "0")
                {
                    resourceRef.Divisor = null;
                }
            }
        }
        var json = JsonNode.Parse(KubernetesJson.Serialize(typed))!;
        return Canonical(json) ?? new JsonObject();
    }

    private static bool IsZeroScalar(JsonNode value) => value is JsonValue v && v.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.False => true,
        System.Text.Json.JsonValueKind.Number => v.ToJsonString() == "0",
        System.Text.Json.JsonValueKind.String => v.GetValue<string>().Length == 0,
        _ => false,
    };

    /// <summary>Sorted keys; nulls, zero scalars, empty maps and empty lists dropped (Go's omitempty and zero values).</summary>
    private static JsonNode? Canonical(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var keys = o.Select(p => p.Key).OrderBy(k => k, StringComparer.Ordinal).ToList();
                var result = new JsonObject();
                foreach (var key in keys)
                {
                    var value = Canonical(o[key]);
                    // Go's omitempty: a zero number, false or "" field is not written.
                    if (value is not null && !IsZeroScalar(value))
                    {
                        result[key] = value;
                    }
                }
                return result.Count == 0 ? null : result;
            case JsonArray a:
                var list = new JsonArray();
                foreach (var item in a)
                {
                    list.Add(Canonical(item) ?? new JsonObject());
                }
                return list.Count == 0 ? null : list;
            case null:
                return null;
            default:
                return node.DeepClone();
        }
    }
}
