using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GoTemplates;
using SidecarInjector.Decide;
using SidecarInjector.Errors;
using SidecarInjector.KubernetesGo;
using SidecarInjector.Render;

namespace SidecarInjector.Configuration;

/// <summary>
/// Load → validate → compile one config version from the ConfigMap's <c>config</c>, <c>values</c>
/// and <c>mesh</c> texts. Any problem throws <see cref="ConfigException"/>; nothing is half-loaded.
/// </summary>
internal static class ConfigLoader
{
    public const string ConfigFile = "config";
    public const string ValuesFile = "values";
    public const string MeshFile = "mesh";

    /// <summary>A ConfigMap holds at most 1 MiB: anything larger did not come from one, and is not read.</summary>
    public const long MaxConfigBytes = 1024 * 1024;

    private static readonly HashSet<string> KnownKeys = new(StringComparer.Ordinal)
    {
        "policy", "alwaysInjectSelector", "neverInjectSelector", "injectedAnnotations",
        "defaultTemplates", "templates", "aliases",
    };

    /// <summary>The raw files of one version, read together so that their hash names the version.</summary>
    internal sealed record ConfigFiles(string Source, byte[] Config, byte[]? Values, byte[]? Mesh = null)
    {
        public string Version()
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(Config);
            sha.AppendData([0]);
            sha.AppendData(Values ?? []);
            sha.AppendData([0]);
            sha.AppendData(Mesh ?? []);
            return Convert.ToHexStringLower(sha.GetHashAndReset().AsSpan(0, 8));
        }
    }

    /// <summary>Reads the files from a mounted ConfigMap directory (through the ..data symlink).</summary>
    public static ConfigFiles ReadDirectory(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath))
        {
            throw new ConfigException(configPath, 0, 0, "file not found");
        }
        long total = 0;
        foreach (var name in new[] { ConfigFile, ValuesFile, MeshFile })
        {
            var path = Path.Combine(directory, name);
            total += File.Exists(path) ? new FileInfo(path).Length : 0;
        }
        if (total > MaxConfigBytes)
        {
            throw new ConfigException(directory, 0, 0,
                $"config, values and mesh are {total} bytes together, more than a ConfigMap can hold ({MaxConfigBytes})");
        }
        return new ConfigFiles(directory, File.ReadAllBytes(configPath), ReadOptional(ValuesFile), ReadOptional(MeshFile));

        byte[]? ReadOptional(string name)
        {
            var path = Path.Combine(directory, name);
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
    }

    /// <summary>The default compiled into the binary (the same files deploy/ ships).</summary>
    public static ConfigFiles ReadEmbeddedDefault()
    {
        return new ConfigFiles("embedded default", ReadResource("SidecarInjector.DefaultConfig.config"), ReadResource("SidecarInjector.DefaultConfig.values"));

        static byte[] ReadResource(string name)
        {
            using var stream = typeof(ConfigLoader).Assembly.GetManifestResourceStream(name)
                ?? throw new InvalidOperationException("missing embedded resource " + name);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }

    /// <summary>Loads with the process environment (read by the templates' env function).</summary>
    public static ConfigSnapshot Load(ConfigFiles files) => Load(files, Environment.GetEnvironmentVariable, meshDefaults: null);

    public static ConfigSnapshot Load(ConfigFiles files, Func<string, string?> environment, JsonObject? meshDefaults)
    {
        var warnings = new List<string>();
        var configName = files.Source == "embedded default" ? "embedded config" : Path.Combine(files.Source, ConfigFile);
        var valuesName = files.Source == "embedded default" ? "embedded values" : Path.Combine(files.Source, ValuesFile);

        var root = YamlDocument.Parse(Decode(files.Config, configName), configName);
        if (root is not JsonObject config)
        {
            throw new ConfigException(configName, 1, 1, "the config must be a YAML mapping");
        }
        foreach (var (key, _) in config)
        {
            if (!KnownKeys.Contains(key))
            {
                warnings.Add($"{configName}: unknown key '{key}' is ignored");
            }
        }

        var values = new JsonObject();
        if (files.Values is { Length: > 0 } valueBytes)
        {
            var parsed = YamlDocument.Parse(Decode(valueBytes, valuesName), valuesName);
            values = parsed switch
            {
                null => new JsonObject(),
                JsonObject o => o,
                _ => throw new ConfigException(valuesName, 1, 1, "values must be a mapping"),
            };
        }

        var meshName = files.Source == "embedded default" ? "embedded mesh" : Path.Combine(files.Source, MeshFile);
        JsonObject? meshOverlay = null;
        if (files.Mesh is { Length: > 0 } meshBytes)
        {
            meshOverlay = YamlDocument.Parse(Decode(meshBytes, meshName), meshName) switch
            {
                null => null,
                JsonObject o => o,
                _ => throw new ConfigException(meshName, 1, 1, "mesh must be a MeshConfig mapping"),
            };
        }
        var mesh = Mesh.MeshConfig.Apply(meshDefaults, meshOverlay);

        var policy = ReadPolicy(config["policy"], configName);
        var functions = IstioFunctions.InjectionFunctions(environment);
        var templates = ReadTemplates(config["templates"], configName, functions);
        if (templates.Count == 0)
        {
            warnings.Add($"{configName}: no templates are defined, so injected pods get only annotations");
        }
        var aliases = ReadAliases(config["aliases"], configName);
        var defaultTemplates = ReadStringList(config["defaultTemplates"], configName, "defaultTemplates") ?? ["sidecar"];
        List<SidecarTemplate> defaultSet = [];
        if (templates.Count > 0)
        {
            defaultSet = TemplateSelection.Resolve(defaultTemplates, templates, aliases)
                ?? throw new ConfigException(configName, 0, 0,
                    $"defaultTemplates names a template that is not defined: {TemplateSelection.FirstMissing(defaultTemplates, templates, aliases)}");
        }

        var snapshot = new ConfigSnapshot
        {
            Version = files.Version(),
            Source = files.Source,
            Policy = policy,
            NeverInjectSelector = ReadSelectors(config["neverInjectSelector"], configName, "neverInjectSelector"),
            AlwaysInjectSelector = ReadSelectors(config["alwaysInjectSelector"], configName, "alwaysInjectSelector"),
            InjectedAnnotations = ReadStringMap(config["injectedAnnotations"], configName, "injectedAnnotations"),
            DefaultTemplates = defaultTemplates,
            Templates = templates,
            Aliases = aliases,
            Settings = new TemplateSettings(values, mesh, environment),
            Warnings = warnings,
            DefaultTemplateSet = defaultSet,
        };
        DryRun(snapshot, configName);
        return snapshot;
    }

    /// <summary>
    /// Renders the default templates (those every pod gets) once, for a realistic pod, before the
    /// version is accepted: one that fails to execute or writes something that is not a Pod
    /// fragment is rejected now, with its position, instead of denying every pod later. Templates
    /// only chosen by annotation (Istio ships gateway and waypoint ones) are not meant for any pod.
    /// </summary>
    private static void DryRun(ConfigSnapshot snapshot, string source)
    {
        JsonObject? pod = null;
        foreach (var template in snapshot.DefaultTemplateSet)
        {
            var name = template.Name;
            if (!template.NeedsData)
            {
                continue;
            }
            pod ??= JsonNode.Parse(SampleReview.Build(v1beta1: false))!["request"]!["object"]!.AsObject();
            try
            {
                template.Render(() => InjectionData.Build(pod, "default", snapshot.Settings, "default"));
            }
            catch (InjectionException e)
            {
                throw new ConfigException(source, 0, 0, $"template {name} fails on a sample pod: {e.Message}");
            }
        }
    }

    private static string Decode(byte[] bytes, string name)
    {
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ConfigException(name, 0, 0, "not valid UTF-8");
        }
    }

    private static InjectionPolicy ReadPolicy(JsonNode? node, string source)
    {
        // Istio disables injection on an unknown policy; we refuse the whole config instead, so
        // that a typo cannot silently switch injection off cluster-wide.
        var text = node is null ? "enabled" : ReadString(node, source, "policy");
        return text switch
        {
            "enabled" => InjectionPolicy.Enabled,
            "disabled" => InjectionPolicy.Disabled,
            _ => throw new ConfigException(source, 0, 0, $"policy must be 'enabled' or 'disabled', not '{text}'"),
        };
    }

    private static Dictionary<string, SidecarTemplate> ReadTemplates(JsonNode? node, string source, FunctionTable functions)
    {
        var templates = new Dictionary<string, SidecarTemplate>(StringComparer.Ordinal);
        if (node is null)
        {
            return templates;
        }
        if (node is not JsonObject map)
        {
            throw new ConfigException(source, 0, 0, "templates must be a mapping of name to template text");
        }
        foreach (var (name, text) in map)
        {
            var body = text is null ? "" : ReadString(text, source, "templates." + name);
            templates[name] = TemplateCompiler.Compile(name, body, source, functions);
        }
        return templates;
    }

    private static Dictionary<string, IReadOnlyList<string>> ReadAliases(JsonNode? node, string source)
    {
        var aliases = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (node is null)
        {
            return aliases;
        }
        if (node is not JsonObject map)
        {
            throw new ConfigException(source, 0, 0, "aliases must be a mapping of name to a list of template names");
        }
        foreach (var (name, list) in map)
        {
            aliases[name] = ReadStringList(list, source, "aliases." + name) ?? [];
        }
        return aliases;
    }

    private static List<LabelSelector> ReadSelectors(JsonNode? node, string source, string field)
    {
        var selectors = new List<LabelSelector>();
        if (node is null)
        {
            return selectors;
        }
        if (node is not JsonArray list)
        {
            throw new ConfigException(source, 0, 0, $"{field} must be a list of label selectors");
        }
        for (int i = 0; i < list.Count; i++)
        {
            selectors.Add(LabelSelectorReader.Read(list[i], source, $"{field}[{i}]"));
        }
        return selectors;
    }

    private static List<KeyValuePair<string, string>> ReadStringMap(JsonNode? node, string source, string field)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (node is null)
        {
            return result;
        }
        if (node is not JsonObject map)
        {
            throw new ConfigException(source, 0, 0, $"{field} must be a mapping of strings");
        }
        foreach (var (k, v) in map)
        {
            result.Add(new(k, v is null ? "" : ReadString(v, source, $"{field}.{k}")));
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return result;
    }

    internal static List<string>? ReadStringList(JsonNode? node, string source, string field)
    {
        if (node is null)
        {
            return null;
        }
        if (node is not JsonArray list)
        {
            throw new ConfigException(source, 0, 0, $"{field} must be a list of strings");
        }
        var result = new List<string>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            result.Add(ReadString(list[i], source, $"{field}[{i}]"));
        }
        return result;
    }

    internal static string ReadString(JsonNode? node, string source, string field)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            return v.GetValue<string>();
        }
        throw new ConfigException(source, 0, 0, $"{field} must be a string");
    }
}
