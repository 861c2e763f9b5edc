using System.Text.Json.Nodes;
using SidecarInjector.Json;
using SidecarInjector.Patch;

namespace SidecarInjector.Tests.Patch;

public sealed class JsonTreeEqualityTests
{
    [Fact]
    public void Unread_subtrees_are_compared_as_raw_json_on_this_runtime()
    {
        // Fails if a System.Text.Json update renamed the member the fast path reads: the diff would
        // still be right, only slow again, so this must not pass silently.
        Assert.True(JsonRaw.Available);
    }

    public static TheoryData<string, string> Pairs() => new()
    {
        { """{"a":1,"b":[1,2,{"c":"x"}]}""", """{"a":1,"b":[1,2,{"c":"x"}]}""" },
        { """{"a":1,"b":2}""", """{"b":2,"a":1}""" },
        { """{"a":1,"b":2}""", """{"a":1,"b":3}""" },
        { """{"a":1}""", """{"a":1,"b":null}""" },
        { """{"a":null}""", """{"b":null}""" },
        { """[1,2,3]""", """[1,2]""" },
        { """[1,2,3]""", """[1,3,2]""" },
        { """{"a":"1"}""", """{"a":1}""" },
        { """{"a":1.0}""", """{"a":1}""" },
        { """{"a":true}""", """{"a":"true"}""" },
        { """{"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}""", """{"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}""" },
        { """{"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}""", """{"env":[{"name":"A","value":"1"},{"value":"2","name":"B"}]}""" },
        { """{"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}""", """{"env":[{"name":"A","value":"1"},{"name":"B","value":"3"}]}""" },
        { """{"a":{}}""", """{"a":[]}""" },
        { """{"s":"caf\u00e9"}""", """{"s":"café"}""" },
    };

    /// <summary>
    /// The same answers as JsonNode.DeepEquals whether each side is raw, read at the top, read in
    /// full, or built in code.
    /// </summary>
    [Theory]
    [MemberData(nameof(Pairs))]
    public void Agrees_with_DeepEquals_in_every_state_of_either_side(string left, string right)
    {
        bool expected = JsonNode.DeepEquals(JsonNode.Parse(left), JsonNode.Parse(right));
        foreach (var makeLeft in States)
        {
            foreach (var makeRight in States)
            {
                Assert.Equal(expected, JsonTreeEquality.Equal(makeLeft(left), makeRight(right)));
            }
        }
    }

    /// <summary>
    /// Random trees and random one-spot changes (or none), each side in a random state: the answer
    /// is always DeepEquals'. A fixed seed per run keeps a failure reproducible.
    /// </summary>
    [Fact]
    public void Agrees_with_DeepEquals_on_random_trees_and_changes()
    {
        var random = new Random(20261124);
        for (int round = 0; round < 2000; round++)
        {
            var tree = new JsonObject { ["root"] = RandomNode(random, depth: 0) }.ToJsonString();
            var changed = random.Next(3) == 0 ? tree : Mutate(random, JsonNode.Parse(tree))!.ToJsonString();
            bool expected = JsonNode.DeepEquals(JsonNode.Parse(tree), JsonNode.Parse(changed));
            var left = States[random.Next(States.Length)](tree);
            var right = States[random.Next(States.Length)](changed);
            Assert.True(expected == JsonTreeEquality.Equal(left, right), $"round {round}: {tree} vs {changed}");
        }
    }

    private static JsonNode? RandomNode(Random random, int depth)
    {
        switch (random.Next(depth > 3 ? 4 : 6))
        {
            case 0: return null;
            case 1: return JsonValue.Create(random.Next(3) - 1);
            case 2: return JsonValue.Create(random.Next(2) == 0 ? "a" : "b");
            case 3: return JsonValue.Create(random.Next(2) == 0);
            case 4:
                var o = new JsonObject();
                int properties = random.Next(4);
                for (int i = 0; i < properties; i++)
                {
                    o["k" + random.Next(5)] = RandomNode(random, depth + 1);
                }
                return o;
            default:
                var a = new JsonArray();
                int items = random.Next(4);
                for (int i = 0; i < items; i++)
                {
                    a.Add(RandomNode(random, depth + 1));
                }
                return a;
        }
    }

    /// <summary>Changes one place: a value replaced, a property added or removed, an item appended.</summary>
    private static JsonNode? Mutate(Random random, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o when o.Count > 0 && random.Next(3) > 0:
                var key = o.ElementAt(random.Next(o.Count)).Key;
                if (random.Next(3) == 0)
                {
                    o.Remove(key);
                }
                else
                {
                    o[key] = Mutate(random, o[key]?.DeepClone());
                }
                return o;
            case JsonObject o:
                o["new" + random.Next(3)] = RandomNode(random, 3);
                return o;
            case JsonArray a when a.Count > 0 && random.Next(3) > 0:
                int index = random.Next(a.Count);
                a[index] = Mutate(random, a[index]?.DeepClone());
                return a;
            case JsonArray a:
                a.Add(RandomNode(random, 3));
                return a;
            default:
                return RandomNode(random, 3);
        }
    }

    private static readonly Func<string, JsonNode?>[] States =
    [
        json => JsonNode.Parse(json),
        json =>
        {
            var node = JsonNode.Parse(json);
            _ = node is JsonObject o ? o.Count : node is JsonArray a ? a.Count : 0;
            return node;
        },
        json =>
        {
            var node = JsonNode.Parse(json);
            _ = node!.ToJsonString();
            JsonTrees.BuildAll(node);
            return node;
        },
        json => JsonNode.Parse(json)!.DeepClone(),
    ];
}
