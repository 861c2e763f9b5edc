using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SidecarInjector.Patch;

/// <summary>
/// JSON equality for the diff, with <see cref="JsonNode.DeepEquals"/>'s meaning (property order
/// does not count) but without its cost on parsed trees. A parsed <see cref="JsonObject"/> or
/// <see cref="JsonArray"/> stays raw JSON until something reads it, and DeepEquals reads both sides
/// in full: a dictionary per object. The pod and its merged copy share most of their subtrees
/// unread (a container's 2,000 env vars), so comparing those as raw JSON
/// (<see cref="JsonElement.DeepEquals"/>) keeps Istio's 2,000-env-var pod from building 4,000
/// dictionaries just to learn that nothing changed.
/// </summary>
/// <remarks>
/// Whether a node is still raw is not public; it is read with an <see cref="UnsafeAccessorAttribute"/>
/// (bound at compile time, no reflection, AOT- and trim-safe). Should a future System.Text.Json
/// rename that member, the accessor throws once and equality falls back to reading the nodes;
/// a test fails on that runtime so the fallback is never silent.
/// </remarks>
internal static class JsonTreeEquality
{
    private static volatile bool s_rawUnavailable;

    /// <summary>True while raw subtrees are compared as raw JSON (false only after a runtime change).</summary>
    public static bool ComparesRawJson => !s_rawUnavailable && Probe();

    public static bool Equal(JsonNode? a, JsonNode? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        if (a is null || b is null)
        {
            return false;
        }
        if (Raw(a) is { } rawA)
        {
            return Equal(rawA, b);
        }
        if (Raw(b) is { } rawB)
        {
            return Equal(rawB, a);
        }
        switch (a, b)
        {
            case (JsonObject objectA, JsonObject objectB):
                if (objectA.Count != objectB.Count)
                {
                    return false;
                }
                foreach (var (key, value) in objectA)
                {
                    if (!objectB.TryGetPropertyValue(key, out var other) || !Equal(value, other))
                    {
                        return false;
                    }
                }
                return true;
            case (JsonArray arrayA, JsonArray arrayB):
                if (arrayA.Count != arrayB.Count)
                {
                    return false;
                }
                for (int i = 0; i < arrayA.Count; i++)
                {
                    if (!Equal(arrayA[i], arrayB[i]))
                    {
                        return false;
                    }
                }
                return true;
            default:
                return JsonNode.DeepEquals(a, b);
        }
    }

    /// <summary>Raw JSON against a node that has been read (or a value).</summary>
    private static bool Equal(JsonElement a, JsonNode? b)
    {
        if (b is null)
        {
            return a.ValueKind == JsonValueKind.Null;
        }
        if (Raw(b) is { } rawB)
        {
            return JsonElement.DeepEquals(a, rawB);
        }
        switch (b)
        {
            case JsonObject objectB:
                if (a.ValueKind != JsonValueKind.Object)
                {
                    return false;
                }
                int properties = 0;
                foreach (var _ in a.EnumerateObject())
                {
                    properties++;
                }
                if (properties != objectB.Count)
                {
                    return false;
                }
                foreach (var (key, value) in objectB)
                {
                    if (!a.TryGetProperty(key, out var property) || !Equal(property, value))
                    {
                        return false;
                    }
                }
                return true;
            case JsonArray arrayB:
                if (a.ValueKind != JsonValueKind.Array || a.GetArrayLength() != arrayB.Count)
                {
                    return false;
                }
                int index = 0;
                foreach (var item in a.EnumerateArray())
                {
                    if (!Equal(item, arrayB[index++]))
                    {
                        return false;
                    }
                }
                return true;
            default:
                return a.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)
                    && JsonNode.DeepEquals(JsonValue.Create(a), b);
        }
    }

    /// <summary>The raw JSON behind an object or array nobody has read yet; null otherwise.</summary>
    private static JsonElement? Raw(JsonNode node)
    {
        if (s_rawUnavailable)
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
            s_rawUnavailable = true;
            return null;
        }
    }

    private static bool Probe()
    {
        var probe = JsonNode.Parse("""{"a":[1]}""")!;
        return Raw(probe) is not null && Raw(probe["a"]!) is not null;
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GetUnderlyingRepresentation")]
    private static extern void ObjectRepresentation(JsonObject node, out OrderedDictionary<string, JsonNode?>? dictionary, out JsonElement? element);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "GetUnderlyingRepresentation")]
    private static extern void ArrayRepresentation(JsonArray node, out List<JsonNode?>? list, out JsonElement? element);
}
