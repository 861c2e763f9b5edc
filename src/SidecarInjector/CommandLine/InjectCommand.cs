using SidecarInjector.Configuration;
using SidecarInjector.Errors;
using SidecarInjector.KubeInject;

namespace SidecarInjector.CommandLine;

/// <summary>
/// <c>sidecar-injector inject -f FILE|- [--config-dir D | --config-file F] [-o FILE]</c>: kube-inject
/// for manifests. Without either the embedded default config is used.
/// </summary>
internal static class InjectCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        string? input = null, output = null, configDir = null, configFile = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"flag {args[i]} needs a value");
            try
            {
                switch (args[i])
                {
                    case "-f" or "--filename": input = Value(); break;
                    case "-o" or "--output": output = Value(); break;
                    case "--config-dir": configDir = Value(); break;
                    case "--config-file": configFile = Value(); break;
                    case "-h" or "--help":
                        stdout.WriteLine("Usage: sidecar-injector inject -f FILE|- [--config-dir DIR | --config-file FILE] [-o FILE]");
                        stdout.WriteLine("Injects every pod template (Pod, Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob,");
                        stdout.WriteLine("ReplicationController, DeploymentConfig, List items) of a multi-document YAML; other documents");
                        stdout.WriteLine("are copied unchanged. --config-file takes a ConfigMap manifest (kubectl get cm istio-sidecar-injector");
                        stdout.WriteLine("-o yaml, optionally with Istio's mesh ConfigMap); without either the embedded default config is used.");
                        return 0;
                    default:
                        stderr.WriteLine($"sidecar-injector inject: unknown flag '{args[i]}' (try --help)");
                        return 2;
                }
            }
            catch (ArgumentException e)
            {
                stderr.WriteLine("sidecar-injector inject: " + e.Message);
                return 2;
            }
        }
        if (input is null)
        {
            stderr.WriteLine("sidecar-injector inject: -f FILE or -f - (standard input) is required");
            return 2;
        }
        foreach (var (flag, path) in new[] { ("-f", input), ("-o", output) })
        {
            if (path is not null && Directory.Exists(path))
            {
                stderr.WriteLine($"sidecar-injector inject: {flag} {path} is a directory; give a manifest file{(flag == "-f" ? ", or - for standard input" : "")}");
                return 2;
            }
        }
        if (configDir is not null && !Directory.Exists(configDir))
        {
            stderr.WriteLine($"sidecar-injector inject: --config-dir {configDir} is not a directory");
            return 2;
        }
        var source = ConfigSource.FromFlags(configDir, configFile, out var sourceError);
        if (source is null)
        {
            stderr.WriteLine("sidecar-injector inject: " + sourceError);
            return 2;
        }
        try
        {
            var config = ConfigLoader.Load(source.Read());
            var text = input == "-" ? stdin.ReadToEnd() : File.ReadAllText(input);
            var warnings = new List<string>();
            var result = ManifestInjector.Run(text, config, warnings, input == "-" ? "<stdin>" : input);
            foreach (var warning in warnings)
            {
                stderr.WriteLine(warning);
            }
            if (output is null)
            {
                stdout.Write(result);
            }
            else
            {
                File.WriteAllText(output, result);
            }
            return 0;
        }
        catch (Exception e) when (e is ConfigException or InjectionException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine("sidecar-injector inject: " + e.Message);
            return 1;
        }
        catch (Exception e)
        {
            // A bug of ours, not of the manifest: say so, with what a bug report needs.
            stderr.WriteLine("sidecar-injector inject: internal error (a bug in sidecar-injector, not in your manifest): " + e);
            return 3;
        }
    }
}
