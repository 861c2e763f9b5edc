using System.Text.Json.Nodes;

namespace GoTemplates;

/// <summary>
/// What the engine cannot know of the Go program whose data it renders: which struct fields are
/// string maps (a missing key reads as ""), the type of a struct's field, and the order Go writes a
/// struct's fields in. The caller supplies it (the injector: Kubernetes' core/v1 types).
/// </summary>
internal interface IStructModel
{
    /// <summary>A field of type map[string]string (labels, annotations…): a missing key is "", not &lt;no value&gt;.</summary>
    bool IsStringMapField(string field);

    /// <summary>The type of <paramref name="field"/> in a struct of type <paramref name="structType"/>, or of its items; null when unknown.</summary>
    string? FieldType(string? structType, string field);

    /// <summary>The struct's JSON with its fields in the order Go declares them.</summary>
    JsonNode? InFieldOrder(JsonNode? value, string structType);
}
