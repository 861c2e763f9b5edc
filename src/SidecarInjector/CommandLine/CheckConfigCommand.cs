using SidecarInjector.Configuration;
using SidecarInjector.Errors;

namespace SidecarInjector.CommandLine;

/// <summary>
/// <c>sidecar-injector check-config (--config-dir D | --config-file F)</c>: what a user runs before
/// applying a new ConfigMap. Loads it as the injector would, compiles every template and renders
/// each on a sample pod, and prints every problem with its file position; exit status 1 if any.
/// </summary>
internal static class CheckConfigCommand
{
    private const string Usage = "Usage: sidecar-injector check-config (--config-dir DIR | --config-file FILE)";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        string? directory = null, file = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config-dir" when i + 1 < args.Length:
                    directory = args[++i];
                    break;
                case "--config-file" when i + 1 < args.Length:
                    file = args[++i];
                    break;
                case "-h" or "--help":
                    stdout.WriteLine(Usage);
                    stdout.WriteLine("Loads the config as the injector would (a mounted ConfigMap folder, or a ConfigMap manifest such as");
                    stdout.WriteLine("`kubectl get cm istio-sidecar-injector -o yaml`, optionally with Istio's `istio` mesh ConfigMap in");
                    stdout.WriteLine("the same file), compiles every template and renders each on a sample pod. Prints every problem");
                    stdout.WriteLine("with its position, then a summary. Exit status 0: no problem; 1: problems; 2: usage.");
                    return 0;
                default:
                    stderr.WriteLine($"sidecar-injector check-config: unknown flag or missing value '{args[i]}'");
                    stderr.WriteLine(Usage);
                    return 2;
            }
        }
        var source = ConfigSource.FromFlags(directory, file, out var error);
        if (source is null || source.IsEmbedded)
        {
            stderr.WriteLine("sidecar-injector check-config: " + (error ?? "give --config-dir DIR or --config-file FILE"));
            stderr.WriteLine(Usage);
            return 2;
        }

        var problems = new List<ConfigException>();
        ConfigSnapshot? snapshot = null;
        try
        {
            snapshot = ConfigLoader.Check(source.Read(), environment, problems);
        }
        catch (ConfigException e)
        {
            // The texts could not even be read (no file, not a ConfigMap manifest).
            problems.Add(e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(new ConfigException(source.Describe(), 0, 0, e.Message));
        }
        foreach (var problem in problems)
        {
            stdout.WriteLine("error: " + problem.Message);
        }
        if (snapshot is not null)
        {
            foreach (var warning in snapshot.Warnings)
            {
                stdout.WriteLine("warning: " + warning);
            }
            var names = new List<string>(snapshot.Templates.Keys);
            names.Sort(StringComparer.Ordinal);
            stdout.WriteLine($"ok: {source.Describe()}: version {snapshot.Version}, policy {snapshot.Policy.ToString().ToLowerInvariant()}, " +
                $"templates {string.Join(", ", names)}, default {string.Join(", ", snapshot.DefaultTemplates)} (rendered on a sample pod)");
            return 0;
        }
        stdout.WriteLine($"{problems.Count} problem{(problems.Count == 1 ? "" : "s")} in {source.Describe()}: the injector would refuse this config (and keep serving the one it has)");
        return 1;
    }
}
