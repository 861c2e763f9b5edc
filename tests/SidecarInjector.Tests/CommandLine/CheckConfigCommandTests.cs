using SidecarInjector.CommandLine;
using SidecarInjector.Tests.Configuration;

namespace SidecarInjector.Tests.CommandLine;

/// <summary>sidecar-injector check-config: every problem with its position, exit 1; a good config, exit 0.</summary>
public sealed class CheckConfigCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("check-config-");

    public void Dispose() => _dir.Delete(recursive: true);

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CheckConfigCommand.Run(args, output, error, _ => null);
        return (code, output.ToString(), error.ToString());
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void The_shipped_config_passes()
    {
        var config = Path.Combine(Support.Paths.RepositoryRoot, "deploy", "base", "injector-config");
        var (code, output, _) = Run("--config-dir", config);
        Assert.Equal(0, code);
        Assert.Contains("ok: --config-dir", output, StringComparison.Ordinal);
        Assert.DoesNotContain("error:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_of_a_manifest_is_printed_with_its_line_and_the_exit_status_is_1()
    {
        var config = """
            policy: enabled
            templates:
              sidecar: |
                spec:
                  containers:
                  - name: helper
                    image: {{ nosuchfunction }}
              other: |
                spec:
                  containers: {{ if }}
            neverInjectSelector: "not a list"
            """;
        var path = Write("cm.yaml", ConfigManifestTests.InjectorConfigMap(config, values: "global: [unclosed\n"));
        var lines = File.ReadAllLines(path);
        int LineOf(string needle) => Array.FindIndex(lines, l => l.Contains(needle, StringComparison.Ordinal)) + 1;

        var (code, output, _) = Run("--config-file", path);

        Assert.Equal(1, code);
        Assert.Contains($"error: {path}:{LineOf("nosuchfunction")}:", output, StringComparison.Ordinal);
        Assert.Contains("template sidecar: function \"nosuchfunction\" not defined", output, StringComparison.Ordinal);
        Assert.Contains($"error: {path}:{LineOf("{{ if }}")}:", output, StringComparison.Ordinal);
        Assert.Contains("neverInjectSelector must be a list", output, StringComparison.Ordinal);
        // The values' YAML error too, placed in the file after the values key.
        var valuesError = Array.Find(output.Split('\n'), l => l.Contains("flow sequence", StringComparison.Ordinal));
        Assert.NotNull(valuesError);
        Assert.StartsWith($"error: {path}:", valuesError);
        Assert.True(int.Parse(valuesError[$"error: {path}:".Length..].Split(':')[0], System.Globalization.CultureInfo.InvariantCulture) > LineOf("values:"));
        Assert.Contains("4 problems in --config-file " + path, output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_template_that_fails_on_a_pod_is_a_problem_when_it_is_a_default_one_and_a_warning_otherwise()
    {
        var config = """
            templates:
              sidecar: |
                spec:
                  containers:
                  - name: helper
                    image: x
              gateway-deployment: |
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: {{ .Values.missing.name }}
            """;
        var dir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "cm"));
        File.WriteAllText(Path.Combine(dir.FullName, "config"), config);
        var (code, output, _) = Run("--config-dir", dir.FullName);
        Assert.Equal(0, code);
        Assert.Contains("warning:", output, StringComparison.Ordinal);
        Assert.Contains("template gateway-deployment fails on a sample pod", output, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(dir.FullName, "config"), config.Replace("templates:", "defaultTemplates: [sidecar, gateway-deployment]\ntemplates:", StringComparison.Ordinal));
        (code, output, _) = Run("--config-dir", dir.FullName);
        Assert.Equal(1, code);
        Assert.Contains("error:", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "give --config-dir DIR or --config-file FILE")]
    [InlineData(new[] { "--config-dir", "a", "--config-file", "b" }, "exclude each other")]
    [InlineData(new[] { "--bogus" }, "unknown flag")]
    public void Bad_invocations_exit_2(string[] args, string expected)
    {
        var (code, _, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_a_problem()
    {
        var (code, output, _) = Run("--config-file", Path.Combine(_dir.FullName, "nope.yaml"));
        Assert.Equal(1, code);
        Assert.Contains("file not found", output, StringComparison.Ordinal);
    }
}
