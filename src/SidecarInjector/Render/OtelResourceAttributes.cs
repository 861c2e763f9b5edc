using System.Text.Json.Nodes;
using GoTemplates;

namespace SidecarInjector.Render;

/// <summary>
/// Istio's otelResourceAttributes template function: the proxy's OTEL_RESOURCE_ATTRIBUTES when a
/// mesh OpenTelemetry provider asks for <c>serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS</c>,
/// following OpenTelemetry's Kubernetes service attributes (service.namespace, service.version,
/// service.instance.id); empty otherwise. The pod name is not known at injection (controllers name
/// pods later), so the instance id uses <c>$(POD_NAME)</c>, which Kubernetes substitutes.
/// </summary>
internal static class OtelResourceAttributes
{
    internal const string AnnotationPrefix = "resource.opentelemetry.io/";

    public static string Compute(object? meshConfig, object? annotations, object? labels, string ns, object? containers)
    {
        if (!WantsSemanticConventions(GoValues.ToJson(meshConfig)))
        {
            return "";
        }
        var attributes = new List<string>(3);
        var annotationMap = annotations as GoMap;
        var labelMap = labels as GoMap;
        var containerList = SprigFunctions.ListOf(containers is ZeroValue ? null : containers);

        if (Value(annotationMap, AnnotationPrefix + "service.namespace") is { } serviceNamespace)
        {
            attributes.Add("service.namespace=" + serviceNamespace);
        }
        else if (ns.Length > 0)
        {
            attributes.Add("service.namespace=" + ns);
        }

        if ((Value(annotationMap, AnnotationPrefix + "service.version") ?? Value(labelMap, "app.kubernetes.io/version")) is { } version)
        {
            attributes.Add("service.version=" + version);
        }
        else if (containerList.Count == 1 && containerList[0] is GoStruct only)
        {
            var (tag, digest) = TagAndDigest(SprigFunctions.StrVal(only.Field("Image")));
            var fromImage = tag.Length > 0 && digest.Length > 0 ? tag + "@" + digest : digest.Length > 0 ? digest : tag;
            if (fromImage.Length > 0)
            {
                attributes.Add("service.version=" + fromImage);
            }
        }

        if (Value(annotationMap, AnnotationPrefix + "service.instance.id") is { } instance)
        {
            attributes.Add("service.instance.id=" + instance);
        }
        else if (containerList.Count > 0 && containerList[0] is GoStruct first)
        {
            attributes.Add("service.instance.id=" + ns + ".$(POD_NAME)." + SprigFunctions.StrVal(first.Field("Name")));
        }
        return string.Join(",", attributes);
    }

    private static bool WantsSemanticConventions(JsonNode? mesh)
    {
        foreach (var provider in mesh?["extensionProviders"] as JsonArray ?? [])
        {
            if (provider?["opentelemetry"]?["serviceAttributeEnrichment"]?.ToString() == "OTEL_SEMANTIC_CONVENTIONS")
            {
                return true;
            }
        }
        return false;
    }

    private static string? Value(GoMap? map, string key) =>
        map is not null && map.Entries.TryGetValue(key, out var value) && SprigFunctions.StrVal(value) is { Length: > 0 } text ? text : null;

    /// <summary>An image reference's tag and digest: <c>[registry[:port]/]name[:tag][@digest]</c>.</summary>
    internal static (string Tag, string Digest) TagAndDigest(string image)
    {
        string digest = "";
        int at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = image[(at + 1)..];
            image = image[..at];
        }
        int slash = image.LastIndexOf('/');
        int colon = image.LastIndexOf(':');
        return (colon > slash ? image[(colon + 1)..] : "", digest);
    }
}
