using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SidecarInjector.Json;

/// <summary>
/// The raw JSON behind a parsed <see cref="JsonObject"/> or <see cref="JsonArray"/> that nobody has
/// read yet. Reading a node builds it (a dictionary per object, a node per item); code that only
/// needs to compare or check a large untouched subtree (a container's 2,000 env vars) can use the
/// raw <see cref="JsonElement"/> instead and leave the nodes unbuilt.
/// </summary>
/// <remarks>
/// Whether a node is still raw is not public; it is read with an <see cref="UnsafeAccessorAttribute"/>
/// (bound at compile time, no reflection, AOT- and trim-safe). Should a future System.Text.Json
/// rename that member, the accessor throws once and every caller falls back to reading the nodes;
/// a test fails on that runtime (<see cref="Available"/>) so the fallback is never silent.
/// </remarks>
internal static class JsonRaw
{
    private static volatile bool s_unavailable;

    /// <summary>True while raw JSON can be seen (false only after a System.Text.Json change).</summary>
    public static bool Available
    {
        get
        {
            var probe = JsonNode.Parse("""{"a":[1]}""")!;
            return Of(probe) is not null && Of(probe["a"]!) is not null;
        }
    }

    /// <summary>The raw JSON of an object or array nobody has read yet; null otherwise.</summary>
    public static JsonElement? Of(JsonNode node)
    {
        if (s_unavailable)
        {
            return null;
        }
        try
        {
            switch (node)
            {
                case JsonObject o:
                    ObjectRepresentation(o, out var dictionary, out var objectElement);
                    return dictionary is null ? objectElement : null;
                case JsonArray a:
                    ArrayRepresentation(a, out var list, out var arrayElement);
                    return list is null ? arrayElement : null;
                default:
                    return null;
            }
        }
        catch (MissingMethodException)
        {
            s_unavailable = true;
            return null;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GetUnderlyingRepresentation")]
    private static extern void ObjectRepresentation(JsonObject node, out OrderedDictionary<string, JsonNode?>? dictionary, out JsonElement? element);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GetUnderlyingRepresentation")]
    private static extern void ArrayRepresentation(JsonArray node, out List<JsonNode?>? list, out JsonElement? element);
}
