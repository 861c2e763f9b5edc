using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Json;

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
/// <remarks>Whether a node is still raw comes from <see cref="JsonRaw"/>.</remarks>
internal static class JsonTreeEquality
{
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
        if (JsonRaw.Of(a) is { } rawA)
        {
            return Equal(rawA, b);
        }
        if (JsonRaw.Of(b) is { } rawB)
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
                for (int iObjectA = 0; iObjectA < objectA.Count; iObjectA++)
                {
                    // By index: foreach would box the object's enumerator, once per object per pod.
                    var (key, value) = objectA.GetAt(iObjectA);
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
        if (JsonRaw.Of(b) is { } rawB)
        {
            return RawEqual(a, rawB);
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
                for (int iObjectB = 0; iObjectB < objectB.Count; iObjectB++)
                {
                    // By index: foreach would box the object's enumerator, once per object per pod.
                    var (key, value) = objectB.GetAt(iObjectB);
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

    /// <summary>
    /// Two raw subtrees: the same bytes are the same JSON (a merged copy's untouched subtree is the
    /// very bytes of the pod's), a memory compare; only bytes that differ need DeepEquals's reading.
    /// </summary>
    private static bool RawEqual(JsonElement a, JsonElement b) =>
        System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(a).SequenceEqual(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(b))
        || JsonElement.DeepEquals(a, b);
}
