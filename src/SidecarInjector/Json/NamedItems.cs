using System.Text.Json;
using System.Text.Json.Nodes;

namespace SidecarInjector.Json;

/// <summary>
/// Finding an item of a keyed list (containers, env vars, volumes) by its name without building the
/// nodes of the items it passes over. A parsed list and its items stay raw JSON until read
/// (<see cref="JsonRaw"/>); reading <c>item["name"]</c> builds the item's dictionary, and
/// <c>ToString()</c> of a raw string makes a new string each time. The proxy's env of a shared
/// template render is raw, and every injection looked through it by name: ~10 KB per pod of nodes
/// nobody needed.
/// </summary>
internal static class NamedItems
{
    /// <summary>Index of the first item from <paramref name="start"/> on whose <paramref name="key"/> is the string <paramref name="name"/>, or -1.</summary>
    public static int IndexOf(JsonNode? list, string name, string key = "name", int start = 0)
    {
        if (list is not JsonArray array)
        {
            return -1;
        }
        if (JsonRaw.Of(array) is { } raw)
        {
            int index = 0;
            foreach (var item in raw.EnumerateArray())
            {
                if (index >= start && item.ValueKind == JsonValueKind.Object && item.TryGetProperty(key, out var value) && IsString(value, name))
                {
                    return index;
                }
                index++;
            }
            return -1;
        }
        for (int i = start; i < array.Count; i++)
        {
            if (HasString(array[i], key, name))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The first item whose <paramref name="key"/> is <paramref name="name"/> (an object), or null.</summary>
    public static JsonObject? Find(JsonNode? list, string name, string key = "name") =>
        IndexOf(list, name, key) is var index and >= 0 ? list!.AsArray()[index] as JsonObject : null;

    /// <summary>Whether <paramref name="item"/> is an object whose <paramref name="key"/> is the string <paramref name="name"/>, read without building it.</summary>
    public static bool HasString(JsonNode? item, string key, string name)
    {
        if (item is not JsonObject o)
        {
            return false;
        }
        if (JsonRaw.Of(o) is { } raw)
        {
            return raw.TryGetProperty(key, out var value) && IsString(value, name);
        }
        return Is(o[key], name);
    }

    /// <summary>Whether <paramref name="node"/> is the string <paramref name="expected"/>, compared without making a string.</summary>
    public static bool Is(JsonNode? node, string expected)
    {
        if (node is not JsonValue value)
        {
            return false;
        }
        if (value.TryGetValue<JsonElement>(out var element))
        {
            return IsString(element, expected);
        }
        return value.TryGetValue<string>(out var text) && text == expected;
    }

    private static bool IsString(JsonElement element, string expected) =>
        element.ValueKind == JsonValueKind.String && element.ValueEquals(expected);
}
