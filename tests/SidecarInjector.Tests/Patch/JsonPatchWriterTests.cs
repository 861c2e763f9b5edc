using System.Text.Json;
using System.Text.Json.Nodes;
using SidecarInjector.Json;
using SidecarInjector.Patch;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Patch;

public sealed class JsonPatchWriterTests
{
    [Theory]
    [InlineData("{}", "{\"a\":1}")]
    [InlineData("{\"a\":1}", "{}")]
    [InlineData("{\"a\":{\"b\":1}}", "{\"a\":{\"b\":2,\"c\":[1,2]}}")]
    [InlineData("{\"m\":{}}", "{\"m\":{\"x/y\":\"1\",\"a~b\":\"2\",\"~/\":\"3\"}}")]
    [InlineData("{\"l\":[1,2,3]}", "{\"l\":[0,1,2,3]}")]
    [InlineData("{\"l\":[1,2,3]}", "{\"l\":[1,9,2,3,4]}")]
    [InlineData("{\"l\":[1,2,3]}", "{\"l\":[1,3]}")]
    [InlineData("{\"l\":[1,2,3]}", "{\"l\":[3,2,1]}")]
    [InlineData("{\"l\":[1,2,3]}", "{\"l\":[5]}")]
    [InlineData("{\"l\":[]}", "{\"l\":[{\"name\":\"a\"}]}")]
    [InlineData("{\"l\":[{\"n\":1,\"v\":[1]}]}", "{\"l\":[{\"n\":1,\"v\":[1,2]},{\"n\":2}]}")]
    [InlineData("{\"a\":[1]}", "{\"a\":{\"b\":1}}")]
    [InlineData("{\"a\":\"s\"}", "{\"a\":null}")]
    [InlineData("{\"a\":null}", "{\"a\":{}}")]
    [InlineData("{\"a\":1.50}", "{\"a\":1.5,\"b\":\"\\u00e9\\\"\"}")]
    public void Patch_applied_by_another_library_gives_the_target(string from, string to)
    {
        var patch = Diff(from, to);
        var result = IndependentJsonPatch.Apply(from, patch);
        Assert.True(IndependentJsonPatch.SameJson(to, result), $"{Reviews.Utf8(patch)} gave {result}");
    }

    [Fact]
    public void Identical_documents_give_an_empty_patch()
    {
        var writer = new JsonPatchWriter();
        using var buffer = new PooledBufferWriter();
        using var json = new Utf8JsonWriter(buffer);
        var doc = JsonNode.Parse("{\"a\":[1,{\"b\":2}]}")!;
        writer.WriteDiff(doc, doc.DeepClone(), json);
        Assert.Equal(0, writer.OperationCount);
        Assert.Equal("[]", Reviews.Utf8(buffer.WrittenSpan));
    }

    [Fact]
    public void Keys_are_escaped_as_json_pointers()
    {
        var patch = Reviews.Utf8(Diff("{\"m\":{}}", "{\"m\":{\"a/b~c\":\"1\"}}"));
        Assert.Contains("\"/m/a~1b~0c\"", patch);
    }

    [Fact]
    public void A_missing_parent_is_added_whole()
    {
        var patch = Reviews.Utf8(Diff("{\"metadata\":{}}", "{\"metadata\":{\"annotations\":{\"k\":\"v\"}}}"));
        Assert.Equal("[{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":{\"k\":\"v\"}}]", patch);
    }

    [Fact]
    public void Random_edits_always_round_trip()
    {
        var random = new Random(1234);
        for (int i = 0; i < 300; i++)
        {
            var from = RandomJson(random, 0);
            var to = Mutate(from.DeepClone(), random, 0);
            var patch = Diff(from.ToJsonString(), to.ToJsonString());
            var result = IndependentJsonPatch.Apply(from.ToJsonString(), patch);
            Assert.True(IndependentJsonPatch.SameJson(to.ToJsonString(), result),
                $"case {i}: {from.ToJsonString()} -> {to.ToJsonString()} via {Reviews.Utf8(patch)} gave {result}");
        }
    }

    private static byte[] Diff(string from, string to)
    {
        var writer = new JsonPatchWriter();
        using var buffer = new PooledBufferWriter();
        using (var json = new Utf8JsonWriter(buffer))
        {
            writer.WriteDiff(JsonNode.Parse(from)!, JsonNode.Parse(to)!, json);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static JsonObject RandomJson(Random random, int depth)
    {
        var o = new JsonObject();
        int n = random.Next(0, 5);
        for (int i = 0; i < n; i++)
        {
            o["k" + random.Next(0, 6) + (random.Next(4) == 0 ? "/x~" : "")] = RandomValue(random, depth + 1);
        }
        return o;
    }

    private static JsonNode? RandomValue(Random random, int depth)
    {
        int kind = depth > 3 ? random.Next(0, 3) : random.Next(0, 5);
        switch (kind)
        {
            case 0: return JsonValue.Create(random.Next(0, 4));
            case 1: return JsonValue.Create("s" + random.Next(0, 3));
            case 2: return null;
            case 3: return RandomJson(random, depth);
            default:
                var a = new JsonArray();
                int n = random.Next(0, 5);
                for (int i = 0; i < n; i++)
                {
                    a.Add(RandomValue(random, depth + 1));
                }
                return a;
        }
    }

    private static JsonNode Mutate(JsonNode node, Random random, int depth)
    {
        if (node is JsonObject o)
        {
            var keys = o.Select(p => p.Key).ToList();
            foreach (var k in keys)
            {
                switch (random.Next(0, 5))
                {
                    case 0: o.Remove(k); break;
                    case 1: o[k] = RandomValue(random, depth + 1); break;
                    case 2 when o[k] is JsonObject or JsonArray: o[k] = Mutate(o[k]!, random, depth + 1); break;
                }
            }
            if (random.Next(0, 2) == 0)
            {
                o["new" + random.Next(0, 3)] = RandomValue(random, depth + 1);
            }
        }
        else if (node is JsonArray a)
        {
            int op = random.Next(0, 4);
            if (op == 0 && a.Count > 0) a.RemoveAt(random.Next(a.Count));
            else if (op == 1) a.Insert(random.Next(a.Count + 1), RandomValue(random, depth + 1));
            else if (op == 2 && a.Count > 0 && a[0] is JsonObject or JsonArray) a[0] = Mutate(a[0]!, random, depth + 1);
        }
        return node;
    }
}
