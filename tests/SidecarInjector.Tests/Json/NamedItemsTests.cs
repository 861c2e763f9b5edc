using System.Text.Json.Nodes;
using SidecarInjector.Json;

namespace SidecarInjector.Tests.Json;

/// <summary>
/// Finding a keyed list's item by name gives what reading every item would, whether the list and its
/// items are still raw JSON, built, or in between, and leaves a raw list raw.
/// </summary>
public sealed class NamedItemsTests
{
    private const string Env = """
        [{"name":"A","value":"1"},"not an item",{"name":7},{"value":"no name"},{"name":"B","value":"2"},{"name":"\u0042","value":"3"},{"name":"C"}]
        """;

    /// <summary>What the lookup must say: the first item from <paramref name="start"/> on whose name is the string.</summary>
    private static int ByReadingEveryItem(JsonArray list, string name, int start)
    {
        for (int i = start; i < list.Count; i++)
        {
            if (list[i] is JsonObject o && o["name"] is JsonValue v && v.TryGetValue<string>(out var s) && s == name)
            {
                return i;
            }
        }
        return -1;
    }

    public static TheoryData<string, int> Lookups() => new()
    {
        { "A", 0 }, { "B", 0 }, { "B", 5 }, { "B", 6 }, { "C", 0 }, { "7", 0 }, { "missing", 0 }, { "", 0 }, { "A", 1 },
    };

    [Theory]
    [MemberData(nameof(Lookups))]
    public void A_raw_list_is_searched_as_its_items_read_and_stays_raw(string name, int start)
    {
        var list = JsonNode.Parse(Env)!.AsArray();
        int found = NamedItems.IndexOf(list, name, start: start);
        Assert.NotNull(JsonRaw.Of(list));
        Assert.Equal(ByReadingEveryItem(JsonNode.Parse(Env)!.AsArray(), name, start), found);
    }

    [Theory]
    [MemberData(nameof(Lookups))]
    public void A_built_list_of_raw_items_is_searched_as_its_items_read(string name, int start)
    {
        var list = JsonNode.Parse(Env)!.AsArray();
        _ = list.Count;
        Assert.Null(JsonRaw.Of(list));
        int found = NamedItems.IndexOf(list, name, start: start);
        Assert.Equal(ByReadingEveryItem(JsonNode.Parse(Env)!.AsArray(), name, start), found);
        Assert.NotNull(JsonRaw.Of(list[0]!));
    }

    [Theory]
    [MemberData(nameof(Lookups))]
    public void A_list_built_in_code_is_searched_as_its_items_read(string name, int start)
    {
        var list = JsonNode.Parse(Env)!.AsArray();
        var built = new JsonArray();
        foreach (var item in list)
        {
            built.Add(item is JsonObject o ? Rebuilt(o) : item?.DeepClone());
        }
        Assert.Equal(ByReadingEveryItem(list, name, start), NamedItems.IndexOf(built, name, start: start));

        static JsonObject Rebuilt(JsonObject o)
        {
            var copy = new JsonObject();
            foreach (var (key, value) in o)
            {
                copy[key] = value is JsonValue v && v.TryGetValue<string>(out var s) ? JsonValue.Create(s) : value?.DeepClone();
            }
            return copy;
        }
    }

    [Fact]
    public void Find_gives_the_item_itself_and_nothing_for_what_is_not_a_list()
    {
        var list = JsonNode.Parse(Env)!.AsArray();
        var found = NamedItems.Find(list, "B");
        Assert.Same(list[4], found);
        Assert.Null(NamedItems.Find(JsonNode.Parse("""{"name":"B"}"""), "B"));
        Assert.Null(NamedItems.Find(null, "B"));
        Assert.Equal(-1, NamedItems.IndexOf(JsonValue.Create("B"), "B"));
    }

    [Fact]
    public void A_string_is_compared_as_its_unescaped_text()
    {
        Assert.True(NamedItems.Is(JsonNode.Parse("\"\\u0069stio-proxy\""), "istio-proxy"));
        Assert.True(NamedItems.Is(JsonValue.Create("istio-proxy"), "istio-proxy"));
        Assert.False(NamedItems.Is(JsonNode.Parse("\"istio-proxy \""), "istio-proxy"));
        Assert.False(NamedItems.Is(JsonNode.Parse("1"), "1"));
        Assert.False(NamedItems.Is(null, ""));
        Assert.True(NamedItems.HasString(JsonNode.Parse("""{"key":"v"}"""), "key", "v"));
        Assert.False(NamedItems.HasString(JsonNode.Parse("""["v"]"""), "key", "v"));
    }
}
