using System.Text;
using System.Text.Json.Nodes;

namespace SidecarInjector.Tests.Support;

/// <summary>
/// Random pods (every shape the generators know) with one value anywhere replaced by a value of another
/// JSON type: what the pod's type checks must agree on, each read its own way.
/// </summary>
internal static class MistypedPods
{
    private static readonly JsonNode?[] Replacements =
        [JsonValue.Create("eighty"), JsonValue.Create(80), JsonValue.Create(80.5), JsonValue.Create(true), null, new JsonObject(), new JsonArray(),
         new JsonObject { ["a"] = 1 }, new JsonArray(1, "b"), JsonValue.Create("1Gi"), JsonValue.Create("100m"), JsonValue.Create("lots")];

    /// <summary>The pod of <paramref name="seed"/>, as JSON text and as UTF-8.</summary>
    public static (string Text, byte[] Bytes) Make(int seed)
    {
        var random = new Random(seed);
        var generator = new RandomWorkloads(seed);
        var pod = generator.Pod(generator.Next(), 0);
        ProjectionShapes.AddSome(pod, random);
        var nodes = new List<(JsonNode Parent, object Key)>();
        Collect(pod, nodes);
        var (parent, key) = nodes[random.Next(nodes.Count)];
        var replacement = Replacements[random.Next(Replacements.Length)]?.DeepClone();
        if (key is string name)
        {
            parent[name] = replacement;
        }
        else
        {
            parent[(int)key] = replacement;
        }
        var text = pod.ToJsonString();
        return (text, Encoding.UTF8.GetBytes(text));
    }

    private static void Collect(JsonNode node, List<(JsonNode, object)> into)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    into.Add((o, key));
                    if (value is not null)
                    {
                        Collect(value, into);
                    }
                }
                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    into.Add((a, i));
                    if (a[i] is { } item)
                    {
                        Collect(item, into);
                    }
                }
                break;
        }
    }
}
