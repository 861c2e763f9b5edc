using System.Text.Json.Nodes;

namespace SidecarInjector.Json;

/// <summary>Helpers for JSON trees that are shared between threads.</summary>
internal static class JsonTrees
{
    /// <summary>
    /// Reads every object and array once, so that a parsed tree has built all its nodes (they are built
    /// lazily, on first read) before it is shared: afterwards concurrent readers never race to build one.
    /// </summary>
    public static void BuildAll(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                for (int i = 0; i < o.Count; i++)
                {
                    // By index: foreach would box the object's enumerator, once per object per pod.
                    var value = o.GetAt(i).Value;
                    BuildAll(value);
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    BuildAll(item);
                }
                break;
        }
    }
}
