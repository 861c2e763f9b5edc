using System.Text.Json.Nodes;
using k8s.Exceptions;
using SidecarInjector.Cluster;
using SidecarInjector.Configuration;
using SidecarInjector.Errors;
using SidecarInjector.Explain;
using SidecarInjector.KubeInject;

namespace SidecarInjector.CommandLine;

/// <summary>
/// <c>sidecar-injector check-inject [-n NS] ([TYPE/]NAME | -f FILE | -l k=v,...) [-o json]</c>: "why was my pod (not)
/// injected?", asked of the cluster (as <c>istioctl x check-inject</c>). Reads the pod (or the pod a
/// workload of the cluster makes, or the pods a manifest's workloads would create, or a pod with only
/// the labels given), its Namespace, the injectors' MutatingWebhookConfigurations and the injector's
/// ConfigMap with the caller's kubeconfig, and answers as <see cref="InjectionExplainer"/>.
/// </summary>
internal static class CheckInjectCommand
{
    private const string Usage =
        "Usage: sidecar-injector check-inject [-n NAMESPACE] ([TYPE/]NAME | -f FILE|- | -l KEY=VALUE,...) [-o json] [--kubeconfig FILE] [--context NAME] " +
        "[--webhook-config-name NAME]... [--config-map NAMESPACE/NAME | --config-dir DIR | --config-file FILE] [--revision R]";

    /// <summary>Where deploy/ puts the injector's config.</summary>
    private const string DefaultConfigMap = "sidecar-injector/sidecar-injector";

    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr,
        Func<string, string?> environment, CancellationToken cancel = default)
    {
        string? pod = null, file = null, labels = null, ns = null, output = null, kubeconfig = null, context = null;
        string? configMap = null, configDir = null, configFile = null;
        string revision = "default";
        var webhookNames = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            bool hasValue = i + 1 < args.Length;
            switch (args[i])
            {
                case "-f" or "--filename" when hasValue: file = args[++i]; break;
                case "-l" or "--labels" when hasValue: labels = args[++i]; break;
                case "-n" or "--namespace" when hasValue: ns = args[++i]; break;
                case "-o" or "--output" when hasValue: output = args[++i]; break;
                case "--kubeconfig" when hasValue: kubeconfig = args[++i]; break;
                case "--context" when hasValue: context = args[++i]; break;
                case "--webhook-config-name" when hasValue: webhookNames.Add(args[++i]); break;
                case "--config-map" when hasValue: configMap = args[++i]; break;
                case "--config-dir" when hasValue: configDir = args[++i]; break;
                case "--config-file" when hasValue: configFile = args[++i]; break;
                case "--revision" when hasValue: revision = args[++i]; break;
                case "-h" or "--help":
                    stdout.WriteLine(Usage);
                    stdout.WriteLine("Says whether a pod (a live one, the pod a workload makes: deployment/NAME, statefulset/NAME, job/NAME…,");
                    stdout.WriteLine("each pod of a manifest, or a pod with only the labels of -l) is injected and why: for each sidecar");
                    stdout.WriteLine("injector webhook (MutatingWebhookConfigurations labelled app.kubernetes.io/name=sidecar-injector or");
                    stdout.WriteLine("app=sidecar-injector, or those named) whether its selectors match the namespace and the pod, then the");
                    stdout.WriteLine("injector's decision with its rule, on the config in the ConfigMap (default " + DefaultConfigMap + ").");
                    stdout.WriteLine("The cluster is found as kubectl finds it (--kubeconfig, $KUBECONFIG, ~/.kube/config, in-cluster).");
                    return 0;
                default:
                    if (!args[i].StartsWith('-') && pod is null)
                    {
                        pod = args[i];
                        break;
                    }
                    return Fail(stderr, $"unknown flag or missing value '{args[i]}'");
            }
        }
        if ((pod is null ? 0 : 1) + (file is null ? 0 : 1) + (labels is null ? 0 : 1) != 1)
        {
            return Fail(stderr, "give one of [TYPE/]NAME, -f FILE and -l KEY=VALUE,...");
        }
        WorkloadReference? reference = null;
        if (pod is not null && (reference = WorkloadReference.Parse(pod, out var referenceError)) is null)
        {
            return Fail(stderr, referenceError!);
        }
        var podLabels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (labels is not null && !LabelPairs.TryParse(labels, out podLabels, out var labelError))
        {
            return Fail(stderr, $"-l {labels}: {labelError}");
        }
        if (output is not (null or "json" or "text"))
        {
            return Fail(stderr, $"-o {output}: give json or text");
        }
        if (new[] { configMap, configDir, configFile }.Count(v => v is not null) > 1)
        {
            return Fail(stderr, "give at most one of --config-map, --config-dir and --config-file");
        }
        if (configMap is not null && configMap.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
        {
            return Fail(stderr, $"--config-map {configMap}: give NAMESPACE/NAME");
        }

        try
        {
            using var api = ApiClient.ConnectAsUser(kubeconfig, context, environment);
            var reads = new ClusterReads(api);
            var warnings = new List<string>();
            var (config, configDescription) = await LoadConfigAsync(reads, configMap, configDir, configFile, warnings, cancel);
            var webhooks = InjectorWebhooks.Pick(await reads.WebhookConfigurationsAsync(cancel), webhookNames);

            var pods = new List<(string Name, JsonObject Pod, string Namespace)>();
            var defaultNamespace = ns ?? api.DefaultNamespace ?? "default";
            if (reference is { IsPod: true })
            {
                var live = await reads.ObjectAsync(reference, defaultNamespace, cancel)
                    ?? throw new InjectionException($"pod {defaultNamespace}/{reference.Name} not found");
                pods.Add(("pod " + reference.Name, live, defaultNamespace));
            }
            else if (reference is not null)
            {
                // A workload is answered for the pod it makes: its template, as the apiserver will send it.
                var workload = await reads.ObjectAsync(reference, defaultNamespace, cancel)
                    ?? throw new InjectionException($"{reference.Kind} {defaultNamespace}/{reference.Name} not found");
                foreach (var made in ManifestPods.Of(workload))
                {
                    pods.Add((made.Describe(), made.Pod, defaultNamespace));
                }
            }
            else if (labels is not null)
            {
                pods.Add(($"a pod labelled {labels}", LabelledPod(podLabels), defaultNamespace));
                warnings.Add("only the pod's labels were given: its annotations (sidecar.istio.io/inject among them) and its spec may change the answer");
            }
            else
            {
                foreach (var found in ManifestPods.Read(file == "-" ? stdin.ReadToEnd() : File.ReadAllText(file!), file == "-" ? "<stdin>" : file!))
                {
                    pods.Add((found.Describe(), found.Pod, ns ?? found.Namespace ?? defaultNamespace));
                }
            }
            if (pods.Count == 0)
            {
                stderr.WriteLine($"sidecar-injector check-inject: {file ?? pod} has no pod template");
                return 1;
            }

            var explanations = new List<InjectionExplanation>();
            // A manifest's pods mostly share a namespace: each is read once.
            var namespaces = new Dictionary<string, JsonObject?>(StringComparer.Ordinal);
            foreach (var (name, podObject, podNamespace) in pods)
            {
                if (!namespaces.TryGetValue(podNamespace, out var namespaceObject))
                {
                    namespaceObject = namespaces[podNamespace] = await reads.NamespaceAsync(podNamespace, cancel);
                }
                var namespaceLabels = InjectionExplainer.Labels(namespaceObject?["metadata"]?["labels"]);
                var explanation = InjectionExplainer.Explain(new ExplainInput(name, podObject, podNamespace, namespaceLabels, namespaceObject,
                    webhooks, config, configDescription, revision));
                var more = new List<string>(warnings);
                if (namespaceObject is null)
                {
                    more.Add($"namespace {podNamespace} does not exist: the apiserver would refuse the pod before any webhook");
                }
                more.AddRange(explanation.Warnings);
                explanations.Add(explanation with { Warnings = more });
            }
            ExplanationText.WriteAll(explanations, output == "json", stdout);
            return 0;
        }
        catch (Exception e) when (e is KubeConfigException or ApiException or HttpRequestException or ConfigException or InjectionException
            or IOException or UnauthorizedAccessException or TaskCanceledException)
        {
            stderr.WriteLine("sidecar-injector check-inject: " + e.Message);
            return 1;
        }
    }

    /// <summary>What <c>-l</c> describes: a pod with those labels, one container, and nothing else.</summary>
    private static JsonObject LabelledPod(Dictionary<string, string> labels)
    {
        var podLabels = new JsonObject();
        foreach (var (key, value) in labels)
        {
            podLabels[key] = value;
        }
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = podLabels },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "app" }) },
        };
    }

    /// <summary>The config the injector runs on: given as files, or read from its ConfigMap (else the embedded default, said so).</summary>
    private static async Task<(ConfigSnapshot Config, string Description)> LoadConfigAsync(ClusterReads reads, string? configMap,
        string? configDir, string? configFile, List<string> warnings, CancellationToken cancel)
    {
        if (configDir is not null || configFile is not null)
        {
            var source = ConfigSource.FromFlags(configDir, configFile, out var error)
                ?? throw new ConfigException(configDir ?? configFile!, 0, 0, error!);
            return (ConfigLoader.Load(source.Read()), source.Describe());
        }
        var name = configMap ?? DefaultConfigMap;
        var parts = name.Split('/');
        ConfigLoader.ConfigFiles? files;
        try
        {
            files = await reads.ConfigMapAsync(parts[0], parts[1], cancel);
        }
        catch (ApiException e) when (configMap is null && e.Status == System.Net.HttpStatusCode.Forbidden)
        {
            files = null;
            warnings.Add($"cannot read ConfigMap {name} ({e.Message})");
        }
        if (files is null)
        {
            if (configMap is not null)
            {
                throw new ConfigException("ConfigMap " + name, 0, 0, "not found");
            }
            warnings.Add($"no ConfigMap {name}: decided with the embedded default config (give --config-map NAMESPACE/NAME or --config-file)");
            return (ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault()), "the embedded default");
        }
        return (ConfigLoader.Load(files), "ConfigMap " + name);
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine("sidecar-injector check-inject: " + message);
        stderr.WriteLine(Usage);
        return 2;
    }
}
