using System.Text.Json.Nodes;
using SidecarInjector.Json;

namespace SidecarInjector.Tests.Json;

public sealed class SharedFragmentsTests
{
    private static JsonObject Fragment() => JsonNode.Parse("""
        {"metadata":{"labels":{"a":"b"}},
         "spec":{"containers":[{"name":"istio-proxy","env":[{"name":"A","value":"1"}],"ports":[{"containerPort":15090}]}],
                 "volumes":[{"name":"v","emptyDir":{}},{"name":"gone","$patch":"delete"}],
                 "initContainers":[{"name":"init","args":["x"]}]}}
        """)!.AsObject();

    [Fact]
    public void A_copy_equals_the_part_and_changing_it_changes_neither_the_part_nor_another_copy()
    {
        var fragment = Fragment();
        var shared = SharedFragments.Of(fragment);
        var proxy = fragment["spec"]!["containers"]![0]!;
        var first = (JsonObject)shared.CopyOf(proxy)!;
        var second = (JsonObject)shared.CopyOf(proxy)!;
        Assert.True(JsonNode.DeepEquals(proxy, first));
        first["env"]!.AsArray().Add(new JsonObject { ["name"] = "B" });
        first["image"] = "changed";
        Assert.True(JsonNode.DeepEquals(proxy, second));
        Assert.Single(proxy["env"]!.AsArray());
        Assert.Equal(2, first["env"]!.AsArray().Count);
    }

    [Fact]
    public void A_part_with_a_directive_is_not_registered_and_is_cloned_as_before()
    {
        var fragment = Fragment();
        var shared = SharedFragments.Of(fragment);
        Assert.Null(shared.CopyOf(fragment["spec"]!["volumes"]!));
        Assert.NotNull(shared.CopyOf(fragment["spec"]!["volumes"]![0]!));
        Assert.Null(shared.CopyOf(fragment["spec"]!["volumes"]![1]!));
        Assert.Null(shared.CopyOf(fragment));
        Assert.Null(shared.CopyOf(new JsonObject()));
    }

    [Fact]
    public void None_shares_nothing()
    {
        var fragment = Fragment();
        Assert.Null(SharedFragments.None.CopyOf(fragment["spec"]!["containers"]![0]!));
    }

    [Fact]
    public void Copies_made_and_changed_on_many_threads_at_once_stay_apart()
    {
        var fragment = Fragment();
        var shared = SharedFragments.Of(fragment);
        var init = fragment["spec"]!["initContainers"]![0]!;
        Parallel.For(0, 2000, i =>
        {
            var copy = (JsonObject)shared.CopyOf(init)!;
            copy["args"]!.AsArray().Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal($$"""{"name":"init","args":["x","{{i}}"]}""", copy.ToJsonString());
        });
        Assert.Equal("""{"name":"init","args":["x"]}""", init.ToJsonString());
    }
}
