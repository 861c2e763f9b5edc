using System.Text;
using SidecarInjector.Configuration;
using SidecarInjector.Errors;

namespace SidecarInjector.Tests.Configuration;

/// <summary>--config-file: the injector's ConfigMap as kubectl prints it, Istio's mesh ConfigMap beside it.</summary>
public sealed class ConfigManifestTests
{
    /// <summary>Each line indented by <paramref name="spaces"/>, as kubectl writes a literal block.</summary>
    internal static string Block(string text, int spaces) =>
        "|\n" + string.Concat(text.TrimEnd('\n').Split('\n').Select(l => l.Length == 0 ? "\n" : new string(' ', spaces) + l + "\n"));

    internal static string InjectorConfigMap(string config, string values = "global: {}\n", string? mesh = null) =>
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\n  namespace: istio-system\ndata:\n" +
        "  config: " + Block(config, 4) + "  values: " + Block(values, 4) + (mesh is null ? "" : "  mesh: " + Block(mesh, 4));

    private const string Config = "policy: enabled\ntemplates:\n  sidecar: |\n    spec:\n      containers:\n      - name: helper\n        image: helper:{{ .Values.global.tag }}\n";

    [Fact]
    public void The_injector_configmap_and_the_mesh_configmap_beside_it()
    {
        var text = InjectorConfigMap(Config) +
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: |\n    defaultConfig:\n      discoveryAddress: istiod.example:15012\n  meshNetworks: 'networks: {}'\n";
        var files = ConfigManifest.Parse(text, "cm.yaml");
        Assert.Equal(Config, Encoding.UTF8.GetString(files.Config));
        Assert.Equal("global: {}\n", Encoding.UTF8.GetString(files.Values!));
        Assert.Contains("istiod.example:15012", Encoding.UTF8.GetString(files.Mesh!));
        var snapshot = ConfigLoader.Load(files);
        Assert.Equal("istiod.example:15012", snapshot.Mesh["defaultConfig"]!["discoveryAddress"]!.ToString());
    }

    [Fact]
    public void A_list_as_kubectl_get_cm_a_b_prints_it()
    {
        var item = InjectorConfigMap(Config).Replace("\n", "\n    ", StringComparison.Ordinal).TrimEnd();
        var text = "apiVersion: v1\nkind: List\nitems:\n  - " + item + "\n";
        var files = ConfigManifest.Parse(text, "list.yaml");
        Assert.Equal(Config, Encoding.UTF8.GetString(files.Config));
    }

    [Fact]
    public void A_problem_inside_a_key_is_reported_at_the_files_line()
    {
        // Line 9 of the file is the template's "image:" line (data.config starts on line 8).
        var broken = Config.Replace("{{ .Values.global.tag }}", "{{ .Values.global.tag | nosuchfunction }}", StringComparison.Ordinal);
        var text = InjectorConfigMap(broken);
        var line = Array.FindIndex(text.Split('\n'), l => l.Contains("nosuchfunction", StringComparison.Ordinal)) + 1;
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(ConfigManifest.Parse(text, "cm.yaml")));
        Assert.Equal("cm.yaml", e.Origin);
        Assert.Equal(line, e.Line);
        Assert.Contains("template sidecar: function \"nosuchfunction\" not defined", e.Message, StringComparison.Ordinal);
        Assert.Equal(text.Split('\n')[line - 1].IndexOf("nosuchfunction", StringComparison.Ordinal) + 1, e.Column);
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n", "no ConfigMap in the file")]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {other: y}\n", "no ConfigMap in the file has a 'config' key")]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {config: 'policy: enabled'}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {config: 'policy: enabled'}\n", "2 ConfigMaps have a 'config' key (a, b)")]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {config: 'policy: enabled'}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: m1}\ndata: {mesh: '{}'}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: m2}\ndata: {mesh: '{}'}\n", "2 ConfigMaps have a 'mesh' key (m1, m2)")]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {config: [1]}\n", "data.config must be a string")]
    public void A_file_that_is_not_an_injector_configmap_says_why(string text, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigManifest.Parse(text, "cm.yaml"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
