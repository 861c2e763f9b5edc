using System.Text.RegularExpressions;
using SidecarInjector.CommandLine;

namespace SidecarInjector.Tests.CommandLine;

/// <summary>sidecar-injector inject: manifests in, injected manifests out, other documents untouched.</summary>
public sealed class InjectCommandTests
{
    private const string Manifests = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        data:
          key: value
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: shop
        spec:
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: nginx
                resources:
                  limits: {cpu: 2000m, memory: 1024Mi}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: once
        spec:
          template:
            metadata:
              labels: {sidecar.istio.io/inject: "false"}
            spec:
              restartPolicy: Never
              containers:
              - name: once
                image: busybox
        """;

    private static (int Code, string Out, string Err) Run(string[] args, string stdin = "")
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = InjectCommand.Run(args, new StringReader(stdin), output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Injects_workloads_and_copies_other_documents()
    {
        var (code, output, error) = Run(["-f", "-"], Manifests);
        Assert.Equal(0, code);
        var documents = output.Split("---\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, documents.Length);
        Assert.StartsWith("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings", documents[0]);
        Assert.Contains("name: istio-proxy", documents[1]);
        Assert.Contains("sidecar.istio.io/status:", documents[1]);
        // As today's Kubernetes writes it: no zero creationTimestamp, but the empty status kept.
        Assert.DoesNotContain("creationTimestamp", documents[1]);
        Assert.Contains("status: {}", documents[1]);
        // Written as the Go client writes it: canonical quantities, sorted keys.
        Assert.Contains("cpu: \"2\"", documents[1]);
        Assert.Contains("memory: 1Gi", documents[1]);
        Assert.DoesNotContain("istio-proxy", documents[2]);
        Assert.Contains("Skipping injection because Job \"once\" has sidecar injection disabled", error);
    }

    [Fact]
    public void Output_can_go_to_a_file_and_input_come_from_one()
    {
        var dir = Directory.CreateTempSubdirectory("inject-");
        try
        {
            var input = Path.Combine(dir.FullName, "in.yaml");
            var output = Path.Combine(dir.FullName, "out.yaml");
            File.WriteAllText(input, Manifests);
            var (code, stdout, _) = Run(["-f", input, "-o", output]);
            Assert.Equal(0, code);
            Assert.Equal("", stdout);
            Assert.Contains("istio-proxy", File.ReadAllText(output));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Uses_the_config_directory_given()
    {
        var dir = Directory.CreateTempSubdirectory("inject-config-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "config"), "templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: helper-{{ .DeploymentMeta.Name }}\n        image: helper\n");
            var (code, output, _) = Run(["-f", "-", "--config-dir", dir.FullName], Manifests);
            Assert.Equal(0, code);
            Assert.Contains("name: helper-web", output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Uses_the_configmap_manifest_given()
    {
        var dir = Directory.CreateTempSubdirectory("inject-config-file-");
        try
        {
            var path = Path.Combine(dir.FullName, "cm.yaml");
            File.WriteAllText(path, SidecarInjector.Tests.Configuration.ConfigManifestTests.InjectorConfigMap(
                "templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: from-file-{{ .DeploymentMeta.Name }}\n        image: helper\n"));
            var (code, output, _) = Run(["-f", "-", "--config-file", path], Manifests);
            Assert.Equal(0, code);
            Assert.Contains("name: from-file-web", output);
            (code, _, var error) = Run(["-f", "-", "--config-file", path, "--config-dir", dir.FullName], Manifests);
            Assert.Equal(2, code);
            Assert.Contains("exclude each other", error);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(new string[0], "-f FILE")]
    [InlineData(new[] { "-f" }, "needs a value")]
    [InlineData(new[] { "--nope" }, "unknown flag")]
    [InlineData(new[] { "-f", "/no/such/file.yaml" }, "no/such/file.yaml")]
    public void Bad_invocations_explain_themselves(string[] args, string expected)
    {
        var (code, _, error) = Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Errors_name_the_document()
    {
        var bad = Manifests.Replace("labels: {app: web}", "labels: {app: web}\n      annotations: {traffic.sidecar.istio.io/excludeInboundPorts: \"nope\"}", StringComparison.Ordinal);
        Assert.Contains("nope", bad);
        var (code, _, error) = Run(["-f", "-"], bad);
        Assert.Equal(1, code);
        Assert.Contains("document 2 (Deployment web)", error);
        Assert.Contains("excludeInboundPorts", error);
    }

    [Theory]
    [InlineData("ports:\n        - 8080", "spec.containers[0].ports[0] must be a mapping")]
    [InlineData("ports: 8080", "spec.containers[0].ports must be a list")]
    public void Wrongly_typed_pod_fields_are_errors_that_name_the_document_and_field(string ports, string expected)
    {
        var bad = Manifests.Replace("image: nginx", "image: nginx\n        " + ports, StringComparison.Ordinal);
        var (code, _, error) = Run(["-f", "-"], bad);
        Assert.Equal(1, code);
        Assert.Contains("document 2 (Deployment web)", error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void A_yaml_error_names_the_files_line_and_column()
    {
        var broken = Manifests.Replace("labels: {app: web}\n    spec:", "labels: {app: web\n    spec:", StringComparison.Ordinal);
        var documents = broken.Split("\n---\n");
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, broken);
            var (code, _, error) = Run(["-f", file]);
            var (_, _, alone) = Run(["-f", "-"], documents[1]);

            Assert.Equal(1, code);
            // Document 2 starts on the file's line 8: the line is counted from the top of the file.
            var inFile = Regex.Match(error, $@"{Regex.Escape(file)}:(\d+):(\d+): document 2: ");
            var inDocument = Regex.Match(alone, @"<stdin>:(\d+):(\d+): document 1: ");
            Assert.True(inFile.Success, error);
            Assert.True(inDocument.Success, alone);
            Assert.Equal(int.Parse(inDocument.Groups[1].Value) + documents[0].Split('\n').Length + 1, int.Parse(inFile.Groups[1].Value));
            Assert.Equal(inDocument.Groups[2].Value, inFile.Groups[2].Value);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_directory_given_as_input_is_named_as_one()
    {
        var (code, _, error) = Run(["-f", Path.GetTempPath()]);
        Assert.Equal(2, code);
        Assert.Contains("is a directory", error);
        Assert.DoesNotContain("denied", error);
    }
}
