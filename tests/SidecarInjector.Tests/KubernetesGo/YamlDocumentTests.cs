using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Tests.KubernetesGo;

public sealed class YamlDocumentTests
{
    [Theory]
    [InlineData("a: 1", "{\"a\":1}")]
    [InlineData("a: \"1\"", "{\"a\":\"1\"}")]
    [InlineData("a: true\nb: 'true'\nc: yes\nd: off", "{\"a\":true,\"b\":\"true\",\"c\":true,\"d\":false}")]
    [InlineData("a: ~\nb:\nc: null", "{\"a\":null,\"b\":null,\"c\":null}")]
    [InlineData("a: 1.5\nb: 0x1F\nc: 010\nd: 1e3", "{\"a\":1.5,\"b\":31,\"c\":8,\"d\":1000}")]
    [InlineData("a: 100m\nb: 1Gi\nc: 15090,15021", "{\"a\":\"100m\",\"b\":\"1Gi\",\"c\":\"15090,15021\"}")]
    [InlineData("a: !!str 123", "{\"a\":\"123\"}")]
    [InlineData("list: [a, 2, \"3\"]", "{\"list\":[\"a\",2,\"3\"]}")]
    public void Scalars_resolve_as_Kubernetes_YAML_does(string yaml, string json)
    {
        var node = YamlDocument.Parse(yaml, "test");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), node), node?.ToJsonString());
    }

    [Fact]
    public void Anchors_aliases_and_merge_keys_expand()
    {
        var node = YamlDocument.Parse("base: &b {x: 1, y: 2}\ncopy: *b\nmerged:\n  <<: *b\n  y: 3\n", "test");
        Assert.Equal("{\"base\":{\"x\":1,\"y\":2},\"copy\":{\"x\":1,\"y\":2},\"merged\":{\"x\":1,\"y\":3}}", node!.ToJsonString());
    }

    [Fact]
    public void Syntax_errors_name_file_line_and_column()
    {
        var e = Assert.Throws<ConfigException>(() => YamlDocument.Parse("a: 1\nb: [1, 2\nc: 3\n", "config"));
        Assert.StartsWith("config:", e.Message);
        Assert.True(e.Line >= 2, e.Message);
    }

    [Fact]
    public void Literal_blocks_keep_their_text()
    {
        var node = YamlDocument.Parse("t: |\n  line1\n  line2\n", "test");
        Assert.Equal("line1\nline2\n", node!["t"]!.GetValue<string>());
    }

    [Fact]
    public void Aliases_of_aliases_cannot_expand_past_the_node_budget()
    {
        // "Billion laughs": 2 KB of YAML that expands to 10^9 nodes.
        var yaml = new System.Text.StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (char level = 'b'; level <= 'i'; level++)
        {
            var previous = (char)(level - 1);
            yaml.Append(level).Append(": &").Append(level).Append(" [")
                .Append(string.Join(", ", Enumerable.Repeat("*" + previous, 10))).Append("]\n");
        }

        var e = Assert.Throws<ConfigException>(() => YamlDocument.Parse(yaml.ToString(), "config"));
        Assert.Contains($"more than {YamlDocument.MaxNodes} nodes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ordinary_aliases_still_expand()
    {
        var node = YamlDocument.Parse("base: &b {cpu: 100m}\nx: *b\ny: {<<: *b, memory: 1Gi}\n", "config")!;

        Assert.Equal("100m", (string?)node["x"]!["cpu"]);
        Assert.Equal("100m", (string?)node["y"]!["cpu"]);
        Assert.Equal("1Gi", (string?)node["y"]!["memory"]);
    }
}
