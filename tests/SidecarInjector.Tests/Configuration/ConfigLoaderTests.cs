using SidecarInjector.Configuration;
using SidecarInjector.Decide;
using SidecarInjector.Errors;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Configuration;

public sealed class ConfigLoaderTests
{
    [Fact]
    public void Embedded_default_loads_with_a_sidecar_template()
    {
        var config = InProcess.DefaultConfig;
        Assert.Equal(InjectionPolicy.Enabled, config.Policy);
        Assert.Contains("sidecar", config.Templates.Keys);
        // A real template: what it injects depends on the pod (DefaultConfigTests holds each field).
        Assert.True(config.Templates["sidecar"].NeedsData);
        var pod = Reviews.SamplePod();
        var status = Reviews.Patched(pod, InProcess.Send(Reviews.Review(pod)))["metadata"]!["annotations"]!["sidecar.istio.io/status"]!;
        var names = System.Text.Json.Nodes.JsonNode.Parse(status.GetValue<string>())!;
        Assert.Equal("[\"istio-proxy\"]", names["containers"]!.ToJsonString());
        Assert.Equal("[\"istio-init\"]", names["initContainers"]!.ToJsonString());
        Assert.Equal(16, config.Version.Length);
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void Deploy_configmap_and_embedded_default_are_the_same_files()
    {
        var deployed = ConfigLoader.ReadDirectory(Path.Combine(Paths.RepositoryRoot, "deploy", "base", "injector-config"));
        Assert.Equal(ConfigLoader.ReadEmbeddedDefault().Version(), deployed.Version());
    }

    [Theory]
    [InlineData("policy: sometimes", "policy must be 'enabled' or 'disabled'")]
    [InlineData("policy: enabled\ntemplates:\n  sidecar: |\n    spec:\n      containers: nope\n", "spec.containers must be a list")]
    [InlineData("templates:\n  sidecar: |\n    spec:\n      containers:\n      - image: x\n", "spec.containers[0] needs a name")]
    [InlineData("templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: {{ nosuch .Values.x }}\n", "function \"nosuch\" not defined")]
    [InlineData("templates:\n  sidecar: |\n    spec:\n      {{ if .Values.x }}\n", "unexpected EOF")]
    [InlineData("templates:\n  sidecar: |\n    status: {}\n", "unexpected top-level field 'status'")]
    [InlineData("templates:\n  sidecar: |\n    metadata:\n      labels:\n        a: 1\n", "metadata.labels.a must be a string")]
    [InlineData("defaultTemplates: [missing]\ntemplates:\n  sidecar: 'spec: {}'\n", "defaultTemplates names a template that is not defined: missing")]
    [InlineData("neverInjectSelector:\n- matchExpressions:\n  - {key: a, operator: Maybe}\n", "operator 'Maybe'")]
    [InlineData("alwaysInjectSelector:\n- matchExpressions:\n  - {key: a, operator: In}\n", "operator In needs values")]
    [InlineData("injectedAnnotations: [a, b]", "injectedAnnotations must be a mapping")]
    [InlineData("- just\n- a list\n", "the config must be a YAML mapping")]
    [InlineData("policy: enabled\n  bad: indent\n", "config:2:6: ")]
    public void Invalid_configs_are_rejected_with_a_reason(string config, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => InProcess.Config(config));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Template_errors_point_at_the_line_and_column()
    {
        var e = Assert.Throws<ConfigException>(() =>
            InProcess.Config("templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: {{ nosuch .Values.x }}\n"));
        // At the config file's line and column (the template starts on line 3, indented by 4).
        Assert.Contains("template sidecar", e.Message);
        Assert.Equal(5, e.Line);
        Assert.Equal(18, e.Column);
    }

    [Fact]
    public void Unknown_keys_are_kept_as_warnings_not_dropped_silently()
    {
        var config = InProcess.Config("policy: enabled\nneverInjectSelectors: []\ntemplates:\n  sidecar: 'spec: {}'\n");
        Assert.Contains(config.Warnings, w => w.Contains("unknown key 'neverInjectSelectors'"));
        // Istio's chart writes `template` for injectors before 1.8; Istio ignores it, quietly.
        var istios = InProcess.Config("policy: enabled\ntemplate: '{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}'\ntemplates:\n  sidecar: 'spec: {}'\n");
        Assert.Empty(istios.Warnings);
    }

    [Fact]
    public void Values_must_be_a_mapping()
    {
        var e = Assert.Throws<ConfigException>(() => InProcess.Config("policy: enabled", "[1,2]"));
        Assert.Contains("values must be a mapping", e.Message);
    }

    [Fact]
    public void Version_is_a_content_hash()
    {
        var a = InProcess.Config("policy: enabled");
        var b = InProcess.Config("policy: enabled");
        var c = InProcess.Config("policy: disabled");
        Assert.Equal(a.Version, b.Version);
        Assert.NotEqual(a.Version, c.Version);
    }

    [Fact]
    public void A_config_directory_larger_than_a_configmap_is_not_read()
    {
        var dir = Directory.CreateTempSubdirectory("config-too-large");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "config"), "policy: enabled\n");
            File.WriteAllText(Path.Combine(dir.FullName, "values"), "{\"pad\":\"" + new string('x', (int)ConfigLoader.MaxConfigBytes) + "\"}");

            var e = Assert.Throws<ConfigException>(() => ConfigLoader.ReadDirectory(dir.FullName));
            Assert.Contains("more than a ConfigMap can hold", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
