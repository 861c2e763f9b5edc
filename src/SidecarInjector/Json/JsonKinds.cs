using System.Text.Json;
using System.Text.Json.Nodes;

namespace SidecarInjector.Json;

/// <summary>A JSON value's kind in the words of a Kubernetes error message ("mapping", "list", …).</summary>
internal static class JsonKinds
{
    public static string Name(JsonNode? node) => node is null ? "null" : Name(node.GetValueKind());

    public static string Name(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "mapping",
        JsonValueKind.Array => "list",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}
