using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SidecarInjector.Json;

/// <summary>
/// Copies of a shared template fragment's parts for one pod, without copying them. A rendered fragment
/// is kept and merged into many pods, and every part a pod gets (the proxy container, the volumes)
/// used to be deep-cloned node by node. Registered parts are kept once more as an immutable
/// <see cref="JsonElement"/>; a pod's copy is a node over that element, built lazily: what post-processing
/// changes (the proxy's env) is built for the pod, the rest is written out from the element as it is.
/// </summary>
internal static class SharedFragments
{
    /// <summary>How deep below the fragment parts are registered: spec.containers[i] is at depth 3.</summary>
    private const int RegisteredDepth = 3;

    private static readonly ConditionalWeakTable<JsonNode, StrongBox<JsonElement>> Elements = new();

    /// <summary>
    /// Registers the objects and lists of <paramref name="fragment"/> (to <see cref="RegisteredDepth"/>) that
    /// hold no strategic-merge directive: those are what merging adds to a pod whole. Call once, before
    /// the fragment is shared.
    /// </summary>
    public static void Register(JsonObject fragment) => Register(fragment, 0);

    /// <summary>Registers <paramref name="node"/>'s parts; true when it holds no directive (it may be copied as it is).</summary>
    private static bool Register(JsonNode? node, int depth)
    {
        bool clean = true;
        switch (node)
        {
            case JsonObject o:
                for (int i = 0; i < o.Count; i++)
                {
                    var (key, value) = o.GetAt(i);
                    clean &= !key.StartsWith('$') & Register(value, depth + 1);
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    clean &= Register(item, depth + 1);
                }
                break;
            default:
                return true;
        }
        if (clean && depth > 0 && depth <= RegisteredDepth)
        {
            Elements.AddOrUpdate(node, new StrongBox<JsonElement>(ToElement(node)));
        }
        return clean;
    }

    private static JsonElement ToElement(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }
        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        // ParseValue keeps its own copy, owned by nobody: it lives as long as the element is referenced.
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>A pod's own copy of a registered part (null when <paramref name="node"/> was not registered).</summary>
    public static JsonNode? CopyOf(JsonNode node)
    {
        if (!Elements.TryGetValue(node, out var element))
        {
            return null;
        }
        return node switch
        {
            JsonObject => JsonObject.Create(element.Value),
            JsonArray => JsonArray.Create(element.Value),
            _ => null,
        };
    }
}
