using SidecarInjector.Configuration;
using SidecarInjector.Errors;
using SidecarInjector.Explain;
using SidecarInjector.KubeInject;

namespace SidecarInjector.CommandLine;

/// <summary>
/// <c>sidecar-injector explain -f FILE|- [-n NS] [--namespace-labels k=v,…] [--webhook-config FILE]
/// [--config-dir D | --config-file F] [-o json]</c>: check-inject without a cluster. The namespace's
/// labels come from the flag, the webhooks from a manifest (default: the one deploy/ installs), the
/// injector's config from the flags (default: the embedded one).
/// </summary>
internal static class ExplainCommand
{
    private const string Usage =
        "Usage: sidecar-injector explain -f FILE|- [-n NAMESPACE] [--namespace-labels k=v,...] [--webhook-config FILE] " +
        "[--config-dir DIR | --config-file FILE] [--revision R] [-o json]";

    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        string? input = null, ns = null, labels = null, webhookFile = null, configDir = null, configFile = null, output = null;
        string revision = "default";
        for (int i = 0; i < args.Length; i++)
        {
            bool hasValue = i + 1 < args.Length;
            switch (args[i])
            {
                case "-f" or "--filename" when hasValue: input = args[++i]; break;
                case "-n" or "--namespace" when hasValue: ns = args[++i]; break;
                case "--namespace-labels" when hasValue: labels = args[++i]; break;
                case "--webhook-config" when hasValue: webhookFile = args[++i]; break;
                case "--config-dir" when hasValue: configDir = args[++i]; break;
                case "--config-file" when hasValue: configFile = args[++i]; break;
                case "--revision" when hasValue: revision = args[++i]; break;
                case "-o" or "--output" when hasValue: output = args[++i]; break;
                case "-h" or "--help":
                    stdout.WriteLine(Usage);
                    stdout.WriteLine("Says, for every pod of a manifest, whether it would be injected and why: which webhooks select it");
                    stdout.WriteLine("(their namespaceSelector on the namespace's labels, objectSelector on the pod's), and the injector's");
                    stdout.WriteLine("decision with the rule that made it (the injection is run dry). Webhooks default to the one deploy/");
                    stdout.WriteLine("installs, the config to the embedded default. check-inject asks a cluster for the same.");
                    return 0;
                default:
                    return Fail(stderr, $"unknown flag or missing value '{args[i]}'");
            }
        }
        if (input is null)
        {
            return Fail(stderr, "-f FILE (or -f - for standard input) is required");
        }
        if (output is not (null or "json" or "text"))
        {
            return Fail(stderr, $"-o {output}: give json or text");
        }
        if (!LabelPairs.TryParse(labels, out var namespaceLabels, out var labelError))
        {
            return Fail(stderr, "--namespace-labels: " + labelError);
        }
        var source = ConfigSource.FromFlags(configDir, configFile, out var sourceError);
        if (source is null)
        {
            return Fail(stderr, sourceError!);
        }
        try
        {
            var config = ConfigLoader.Load(source.Read());
            var webhooks = webhookFile is null
                ? InjectorWebhooks.Deployed()
                : InjectorWebhooks.Parse(File.ReadAllText(webhookFile), webhookFile);
            var pods = ManifestPods.Read(input == "-" ? stdin.ReadToEnd() : File.ReadAllText(input), input == "-" ? "<stdin>" : input);
            if (pods.Count == 0)
            {
                stderr.WriteLine($"sidecar-injector explain: {input} has no pod or workload");
                return 1;
            }
            var explanations = new List<InjectionExplanation>();
            foreach (var pod in pods)
            {
                var podNamespace = ns ?? pod.Namespace ?? "default";
                explanations.Add(InjectionExplainer.Explain(new ExplainInput(pod.Describe(), pod.Pod, podNamespace, namespaceLabels, null,
                    webhooks, config, source.Describe(), revision)));
            }
            ExplanationText.WriteAll(explanations, output == "json", stdout);
            return 0;
        }
        catch (Exception e) when (e is ConfigException or InjectionException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine("sidecar-injector explain: " + e.Message);
            return 1;
        }
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine("sidecar-injector explain: " + message);
        stderr.WriteLine(Usage);
        return 2;
    }
}
