using System.Text.Json.Nodes;
using SidecarInjector.Patch;

namespace SidecarInjector.Tests.Patch;

public sealed class JsonTreeEqualityTests
{
    [Fact]
    public void Unread_subtrees_are_compared_as_raw_json_on_this_runtime()
    {
        // Fails if a System.Text.Json update renamed the member the fast path reads: the diff would
        // still be right, only slow again, so this must not pass silently.
        Assert.True(JsonTreeEquality.ComparesRawJson);
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
            ReadAll(node);
            return node;
        },
        json => JsonNode.Parse(json)!.DeepClone(),
    ];

    private static void ReadAll(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, value) in o)
                {
                    ReadAll(value);
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    ReadAll(item);
                }
                break;
        }
    }
}
