using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SidecarInjector.Json;

/// <summary>
/// Copies of a shared template fragment's parts for one pod, without copying them. A rendered fragment
/// is kept and merged into many pods, and every part a pod gets (the proxy container, the volumes)
/// used to be deep-cloned node by node. The fragment is kept once more as one immutable
/// <see cref="JsonElement"/>; a pod's copy of a part is a node over the part's element, built lazily:
/// what post-processing changes (the proxy's env) is built for the pod, the rest is written out from
/// the element as it is.
/// </summary>
/// <remarks>
/// One document per fragment, owned by whoever keeps the fragment (its parts are found by reference,
/// no weak table: a table of dependent handles, one per part, raised peak RSS by ~20 MiB under a
/// stream of fresh renders).
/// </remarks>
internal sealed class SharedFragments
{
    /// <summary>How deep below the fragment parts are shared: spec.containers[i] is at depth 3.</summary>
    private const int SharedDepth = 3;

    /// <summary>Shares nothing: every part is deep-cloned.</summary>
    public static SharedFragments None { get; } = new();

    private readonly Dictionary<JsonNode, JsonElement> _elements = new(ReferenceEqualityComparer.Instance);

    private SharedFragments()
    {
    }

    /// <summary>
    /// The parts of <paramref name="fragment"/> (to <see cref="SharedDepth"/>) that hold no strategic-merge
    /// directive: those are what merging adds to a pod whole. Call once, before the fragment is shared;
    /// the fragment must not change afterwards.
    /// </summary>
    public static SharedFragments Of(JsonObject fragment)
    {
        var shared = new SharedFragments();
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            fragment.WriteTo(writer);
        }
        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        shared.Add(fragment, JsonElement.ParseValue(ref reader), 0);
        return shared;
    }

    /// <summary>Maps <paramref name="node"/>'s parts to their elements; true when it holds no directive.</summary>
    private bool Add(JsonNode? node, JsonElement element, int depth)
    {
        bool clean = true;
        switch (node)
        {
            case JsonObject o:
                int i = 0;
                foreach (var property in element.EnumerateObject())
                {
                    var (key, value) = o.GetAt(i++);
                    clean &= !key.StartsWith('$') & Add(value, property.Value, depth + 1);
                }
                break;
            case JsonArray a:
                int j = 0;
                foreach (var item in element.EnumerateArray())
                {
                    clean &= Add(a[j++], item, depth + 1);
                }
                break;
            default:
                return true;
        }
        if (clean && depth > 0 && depth <= SharedDepth)
        {
            _elements[node] = element;
        }
        return clean;
    }

    /// <summary>A pod's own copy of a shared part (null when <paramref name="node"/> is not one).</summary>
    public JsonNode? CopyOf(JsonNode node)
    {
        if (_elements.Count == 0 || !_elements.TryGetValue(node, out var element))
        {
            return null;
        }
        return node switch
        {
            JsonObject => JsonObject.Create(element),
            JsonArray => JsonArray.Create(element),
            _ => null,
        };
    }
}
