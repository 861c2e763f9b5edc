using System.Text.Json.Nodes;
using GoTemplates;

namespace SidecarInjector.KubernetesGo;

/// <summary>
/// Kubernetes' and Istio's Go structs as the template engine sees them: map[string]string fields
/// (a missing label reads as ""), and core/v1 field types and order (<see cref="GoTypes"/>).
/// </summary>
internal sealed class KubernetesStructs : IStructModel
{
    public static readonly KubernetesStructs Instance = new();

    private static readonly HashSet<string> StringMapFields = new(StringComparer.Ordinal)
    {
        "labels", "annotations", "nodeSelector", "proxyMetadata", "limits", "requests", "data",
    };

    private KubernetesStructs()
    {
    }

    public bool IsStringMapField(string field) => StringMapFields.Contains(field);

    public string? FieldType(string? structType, string field) => GoTypes.ChildType(structType, field);

    public JsonNode? InFieldOrder(JsonNode? value, string structType) => GoTypes.Order(value, structType);
}
