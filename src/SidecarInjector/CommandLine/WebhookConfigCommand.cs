using System.Text.Json;
using System.Text.Json.Serialization;
using SidecarInjector.Cluster;

namespace SidecarInjector.CommandLine;

/// <summary>
/// <c>sidecar-injector webhook-config --revision R [--tag T] [--default] --service NAMESPACE/NAME [--ca-file F]</c>:
/// prints the MutatingWebhookConfiguration of a revision or tag (JSON, which kubectl applies), with
/// Istio's selectors (<see cref="RevisionWebhooks"/>). deploy/revisions/ holds its output for a canary.
/// </summary>
internal static class WebhookConfigCommand
{
    private const string Usage =
        "Usage: sidecar-injector webhook-config --revision R [--tag T] [--default] --service NAMESPACE/NAME [--ca-file F] [--path /inject]";

    private static readonly ClusterJson Indented = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? revision = null, tag = null, service = null, caFile = null;
        string path = "/inject";
        bool isDefault = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--revision" when i + 1 < args.Length:
                    revision = args[++i];
                    break;
                case "--tag" when i + 1 < args.Length:
                    tag = args[++i];
                    break;
                case "--service" when i + 1 < args.Length:
                    service = args[++i];
                    break;
                case "--ca-file" when i + 1 < args.Length:
                    caFile = args[++i];
                    break;
                case "--path" when i + 1 < args.Length:
                    path = args[++i];
                    break;
                case "--default":
                    isDefault = true;
                    break;
                case "-h" or "--help":
                    stdout.WriteLine(Usage);
                    stdout.WriteLine("Prints the MutatingWebhookConfiguration for a revision (istio.io/rev=R on the namespace or pod) or a tag");
                    stdout.WriteLine("pointing at it (istio.io/rev=T); --default also selects istio-injection=enabled namespaces and");
                    stdout.WriteLine("sidecar.istio.io/inject=true pods, as Istio's default revision does. --ca-file sets caBundle (else the");
                    stdout.WriteLine("running injector's --webhook-config-name sets it). Apply with: ... | kubectl apply -f -");
                    return 0;
                default:
                    return Fail(stderr, $"unknown flag or missing value '{args[i]}'");
            }
        }
        if (string.IsNullOrEmpty(revision))
        {
            return Fail(stderr, "--revision is required (\"default\" for the unnamed revision)");
        }
        if (service?.Split('/') is not [{ Length: > 0 } serviceNamespace, { Length: > 0 } serviceName])
        {
            return Fail(stderr, "--service NAMESPACE/NAME is required (the injector's Service)");
        }
        foreach (var (flag, value) in new[] { ("--revision", revision), ("--tag", tag) })
        {
            if (value is not null && !IsLabelValue(value))
            {
                return Fail(stderr, $"{flag} '{value}' is not a valid label value (63 characters of [A-Za-z0-9._-], alphanumeric at both ends)");
            }
        }
        byte[]? caBundle = null;
        if (caFile is not null)
        {
            try
            {
                caBundle = File.ReadAllBytes(caFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail(stderr, $"cannot read --ca-file {caFile}: {e.Message}");
            }
        }
        var configuration = RevisionWebhooks.Build(revision, tag, isDefault, serviceNamespace, serviceName, caBundle, path);
        stdout.WriteLine(JsonSerializer.Serialize(configuration, Indented.V1MutatingWebhookConfiguration));
        return 0;
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine("sidecar-injector webhook-config: " + message);
        stderr.WriteLine(Usage);
        return 2;
    }

    private static bool IsLabelValue(string value)
    {
        if (value.Length is 0 or > 63 || !char.IsAsciiLetterOrDigit(value[0]) || !char.IsAsciiLetterOrDigit(value[^1]))
        {
            return false;
        }
        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }
        return true;
    }
}
