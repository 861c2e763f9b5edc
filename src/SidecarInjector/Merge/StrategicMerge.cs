using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.Json;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Merge;

/// <summary>
/// Kubernetes strategic merge of a Pod fragment into a Pod, as Istio overlays its rendered
/// templates (webhook.go applyOverlayYAML): maps merge, keyed lists merge item by item (new
/// items are appended in the fragment's order), other lists are replaced, null deletes, and the
/// <c>$patch: replace|delete</c> directives work. The fragment is never modified.
/// </summary>
internal static class StrategicMerge
{
    private const string Directive = "$patch";

    /// <param name="shared">Parts of <paramref name="patch"/> that may be given to the target as copies over one shared element.</param>
    public static void Apply(JsonObject target, JsonObject patch, PodPart part, string path, SharedFragments? shared = null)
    {
        shared ??= SharedFragments.None;
        if (DirectiveOf(patch) == "replace")
        {
            target.Clear();
            CopyInto(target, patch, shared);
            return;
        }
        for (int iPatch = 0; iPatch < patch.Count; iPatch++)
        {
            // By index: foreach would box the object's enumerator, once per object per pod.
            var (key, value) = patch.GetAt(iPatch);
            if (key.StartsWith('$'))
            {
                continue;
            }
            var childPath = path.Length == 0 ? key : path + "." + key;
            var existing = target[key];
            switch (value)
            {
                case null:
                    target.Remove(key);
                    break;
                case JsonObject patchObject:
                    if (DirectiveOf(patchObject) == "delete")
                    {
                        target.Remove(key);
                    }
                    else if (existing is JsonObject existingObject)
                    {
                        Apply(existingObject, patchObject, PodSchema.Child(part, key), childPath, shared);
                    }
                    else
                    {
                        ExpectKind(existing, JsonValueKind.Object, childPath);
                        target[key] = CleanClone(patchObject, shared);
                    }
                    break;
                case JsonArray patchArray:
                    var mergeKey = PodSchema.MergeKey(part, key);
                    if (existing is JsonArray existingArray && mergeKey is not null)
                    {
                        MergeList(existingArray, patchArray, mergeKey, PodSchema.ListItem(part, key), childPath, shared);
                    }
                    else
                    {
                        ExpectKind(existing, JsonValueKind.Array, childPath);
                        target[key] = CleanCloneList(patchArray, shared);
                    }
                    break;
                default:
                    if (existing is JsonObject or JsonArray)
                    {
                        Throw.BadPod($"pod field {childPath} is a {JsonKinds.Name(existing)}, but the template sets a value");
                    }
                    target[key] = value.DeepClone();
                    break;
            }
        }
    }

    private static void MergeList(JsonArray target, JsonArray patch, string mergeKey, PodPart itemPart, string path, SharedFragments shared)
    {
        foreach (var item in patch)
        {
            if (item is JsonObject o && DirectiveOf(o) == "replace")
            {
                target.Clear();
                foreach (var other in patch)
                {
                    if (other is not JsonObject p || DirectiveOf(p) != "replace")
                    {
                        target.Add(CleanCloneAny(other, shared));
                    }
                }
                return;
            }
        }

        if (mergeKey.Length == 0)
        {
            foreach (var item in patch)
            {
                if (!ContainsScalar(target, item))
                {
                    target.Add(item?.DeepClone());
                }
            }
            return;
        }

        // Merge items with the same key; items only the patch has are new.
        var originalKeys = new List<JsonNode?>(target.Count);
        for (int i = 0; i < target.Count; i++)
        {
            originalKeys.Add(target[i] is JsonObject o
                ? o[mergeKey]
                : throw new InjectionException($"pod field {path}[{i}] must be a mapping, not a {JsonKinds.Name(target[i])}"));
        }
        var patchItems = new List<JsonNode?>();
        var deleted = new List<JsonNode?>();
        foreach (var item in patch)
        {
            if (item is not JsonObject patchItem)
            {
                throw new InjectionException($"template field {path} must hold mappings keyed by {mergeKey}");
            }
            int index = IndexOfKey(target, mergeKey, patchItem[mergeKey], path);
            if (DirectiveOf(patchItem) == "delete")
            {
                deleted.Add(patchItem[mergeKey]);
                continue;
            }
            if (index >= 0)
            {
                var existing = (JsonObject)target[index]!;
                Apply(existing, patchItem, itemPart, $"{path}[{index}]", shared);
                patchItems.Add(existing);
            }
            else
            {
                patchItems.Add(CleanClone(patchItem, shared));
            }
        }
        var serverOnly = new List<JsonNode?>();
        foreach (var item in target)
        {
            var key = item![mergeKey];
            if (!ContainsKey(patchItems, mergeKey, key) && !ContainsValue(deleted, key))
            {
                serverOnly.Add(item);
            }
        }
        var ordered = MergeSorted(serverOnly, patchItems, originalKeys, mergeKey);
        // Detach every node before re-adding: a JsonNode can have only one parent.
        target.Clear();
        foreach (var node in ordered)
        {
            target.Add(node);
        }
    }

    /// <summary>
    /// Kubernetes' mergeSortedSlice (strategicpatch normalizeElementOrder): the pod's own items and
    /// the patch's items, each list in its order, interleaved by the pod's original order; an item
    /// the pod did not have goes before the pod's remaining items.
    /// </summary>
    private static List<JsonNode?> MergeSorted(List<JsonNode?> serverOnly, List<JsonNode?> patchItems, List<JsonNode?> originalKeys, string mergeKey)
    {
        var result = new List<JsonNode?>(serverOnly.Count + patchItems.Count);
        int i = 0, j = 0;
        while (i < serverOnly.Count || j < patchItems.Count)
        {
            if (i >= serverOnly.Count)
            {
                result.Add(patchItems[j++]);
            }
            else if (j >= patchItems.Count)
            {
                result.Add(serverOnly[i++]);
            }
            else
            {
                int left = IndexOfValue(originalKeys, serverOnly[i]![mergeKey]);
                int right = IndexOfValue(originalKeys, patchItems[j]![mergeKey]);
                if (left >= 0 && right >= 0 && left < right)
                {
                    result.Add(serverOnly[i++]);
                }
                else
                {
                    result.Add(patchItems[j++]);
                }
            }
        }
        return result;
    }

    private static bool ContainsKey(List<JsonNode?> items, string mergeKey, JsonNode? key)
    {
        foreach (var item in items)
        {
            if (JsonNode.DeepEquals(item?[mergeKey], key))
            {
                return true;
            }
        }
        return false;
    }

    private static bool ContainsValue(List<JsonNode?> values, JsonNode? key) => IndexOfValue(values, key) >= 0;

    private static int IndexOfValue(List<JsonNode?> values, JsonNode? key)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (JsonNode.DeepEquals(values[i], key))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Index of the item whose merge key equals <paramref name="keyValue"/>, or -1.</summary>
    public static int IndexOfKey(JsonArray list, string mergeKey, JsonNode? keyValue, string path)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject item)
            {
                throw new InjectionException($"pod field {path}[{i}] must be a mapping, not a {JsonKinds.Name(list[i])}");
            }
            if (JsonNode.DeepEquals(item[mergeKey], keyValue))
            {
                return i;
            }
        }
        return -1;
    }

    private static bool ContainsScalar(JsonArray list, JsonNode? value)
    {
        foreach (var item in list)
        {
            if (JsonNode.DeepEquals(item, value))
            {
                return true;
            }
        }
        return false;
    }

    private static void ExpectKind(JsonNode? existing, JsonValueKind kind, string path)
    {
        if (existing is null)
        {
            return;
        }
        var actual = existing.GetValueKind();
        if (actual != kind && actual != JsonValueKind.Null)
        {
            Throw.BadPod($"pod field {path} is a {JsonKinds.Name(existing)}, but the template merges a {JsonKinds.Name(kind)} into it");
        }
    }

    private static string? DirectiveOf(JsonObject o) =>
        o.TryGetPropertyValue(Directive, out var d) && d is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static void CopyInto(JsonObject target, JsonObject source, SharedFragments shared)
    {
        for (int iSource = 0; iSource < source.Count; iSource++)
        {
            // By index: foreach would box the object's enumerator, once per object per pod.
            var (k, v) = source.GetAt(iSource);
            if (!k.StartsWith('$'))
            {
                target[k] = CleanCloneAny(v, shared);
            }
        }
    }

    private static JsonNode? CleanCloneAny(JsonNode? node, SharedFragments shared) => node switch
    {
        JsonObject o => CleanClone(o, shared),
        JsonArray a => CleanCloneList(a, shared),
        _ => node?.DeepClone(),
    };

    /// <summary>A deep copy without SMP directives, for a value that is added rather than merged.</summary>
    private static JsonObject CleanClone(JsonObject source, SharedFragments shared)
    {
        if (shared.CopyOf(source) is JsonObject copied)
        {
            return copied;
        }
        var copy = new JsonObject();
        CopyInto(copy, source, shared);
        return copy;
    }

    private static JsonArray CleanCloneList(JsonArray source, SharedFragments shared)
    {
        if (shared.CopyOf(source) is JsonArray copied)
        {
            return copied;
        }
        var copy = new JsonArray();
        foreach (var item in source)
        {
            if (item is JsonObject o && DirectiveOf(o) is "replace" or "delete")
            {
                continue;
            }
            copy.Add(CleanCloneAny(item, shared));
        }
        return copy;
    }
}
