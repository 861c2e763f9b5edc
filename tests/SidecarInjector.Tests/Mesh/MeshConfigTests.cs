using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.Mesh;

namespace SidecarInjector.Tests.Mesh;

/// <summary>The mesh file over Istio's defaults, and a pod's proxy.istio.io/config over the mesh, by Istio's merge rules.</summary>
public sealed class MeshConfigTests
{
    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    [Fact]
    public void Top_level_fields_replace_and_default_config_merges_field_by_field()
    {
        var mesh = MeshConfig.Apply(
            Json("""{"trustDomain":"cluster.local","defaultConfig":{"concurrency":2,"proxyMetadata":{"A":"1","B":"2"}}}"""),
            Json("""{"trustDomain":"example.org","defaultConfig":{"proxyMetadata":{"B":"3","C":"4"},"holdApplicationUntilProxyStarts":true}}"""));

        Assert.Equal("example.org", (string?)mesh["trustDomain"]);
        var proxy = mesh["defaultConfig"]!;
        Assert.Equal(2, (int)proxy["concurrency"]!);
        Assert.True((bool)proxy["holdApplicationUntilProxyStarts"]!);
        Assert.Equal("""{"A":"1","B":"3","C":"4"}""", proxy["proxyMetadata"]!.ToJsonString());
    }

    [Fact]
    public void Extension_providers_merge_by_name()
    {
        var mesh = MeshConfig.Apply(
            Json("""{"extensionProviders":[{"name":"a","x":1},{"name":"b","x":1}]}"""),
            Json("""{"extensionProviders":[{"name":"b","x":2},{"name":"c","x":3}]}"""));

        Assert.Equal("""[{"name":"a","x":1},{"name":"b","x":2},{"name":"c","x":3}]""", mesh["extensionProviders"]!.ToJsonString());
    }

    [Fact]
    public void Without_a_mesh_file_the_defaults_are_istios()
    {
        var mesh = MeshConfig.Apply(null, null);

        Assert.True((bool)mesh["enablePrometheusMerge"]!);
        Assert.NotNull(mesh["defaultConfig"]);
    }

    [Fact]
    public void A_pods_annotation_overrides_the_mesh_default_config()
    {
        var mesh = Json("""{"defaultConfig":{"concurrency":2,"proxyMetadata":{"A":"1"}}}""");

        var proxy = MeshConfig.ForPod(mesh, "concurrency: 4\nproxyMetadata: {B: \"2\"}");

        Assert.Equal(4L, (long)proxy["concurrency"]!);
        Assert.Equal("""{"A":"1","B":"2"}""", proxy["proxyMetadata"]!.ToJsonString());
        // An unset enum reads as its zero value, as protobuf does.
        Assert.Equal("REDIRECT", (string?)proxy["interceptionMode"]);
        // The mesh itself is left as it was.
        Assert.Equal(2, (int)mesh["defaultConfig"]!["concurrency"]!);
    }

    [Fact]
    public void An_annotation_that_is_not_a_mapping_is_the_pods_error()
    {
        var e = Assert.Throws<InjectionException>(() => MeshConfig.ForPod(Json("{}"), "- a list"));
        Assert.Contains("proxy.istio.io/config", e.Message, StringComparison.Ordinal);
    }
}
