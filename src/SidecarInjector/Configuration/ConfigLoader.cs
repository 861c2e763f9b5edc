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

    private const string EmbeddedSource = "embedded default";

    private static readonly HashSet<string> KnownKeys = new(StringComparer.Ordinal)
    {
        "policy", "alwaysInjectSelector", "neverInjectSelector", "injectedAnnotations",
        "defaultTemplates", "templates", "aliases",
        // Istio's chart writes a deliberately unusable `template` for injectors of before 1.8 (which
        // read that key); today's Istio ignores it, and so do we, without a warning.
        "template",
    };

    /// <summary>
    /// Where a text came from: the name problems are reported under, and where its lines sit in
    /// that file (a ConfigMap key inside a manifest starts many lines down, indented).
    /// </summary>
    internal sealed record TextOrigin(string Name, YamlPositions.Placement Placement)
    {
        public ConfigException Relocate(ConfigException e, string? prefix = null)
        {
            var (line, column) = Placement.Map(e.Line, e.Column);
            return new ConfigException(Name, line, column, prefix is null ? e.Detail : prefix + e.Detail);
        }
    }

    /// <summary>The raw files of one version, read together so that their hash names the version.</summary>
    internal sealed record ConfigFiles(string Source, byte[] Config, byte[]? Values, byte[]? Mesh = null)
    {
        public TextOrigin? ConfigOrigin { get; init; }
        public TextOrigin? ValuesOrigin { get; init; }
        public TextOrigin? MeshOrigin { get; init; }

        /// <summary>The origin of part <paramref name="part"/> (config, values or mesh): a file of the directory unless placed otherwise.</summary>
        public TextOrigin OriginOf(string part) => (part switch
        {
            ConfigFile => ConfigOrigin,
            ValuesFile => ValuesOrigin,
            _ => MeshOrigin,
        }) ?? new TextOrigin(Source == EmbeddedSource ? "embedded " + part : Path.Combine(Source, part), YamlPositions.Placement.Whole);

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
        return new ConfigFiles(EmbeddedSource, ReadResource("SidecarInjector.DefaultConfig.config"), ReadResource("SidecarInjector.DefaultConfig.values"));

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

    /// <summary>Loads one version, or throws the first problem as a <see cref="ConfigException"/>.</summary>
    public static ConfigSnapshot Load(ConfigFiles files, Func<string, string?> environment, JsonObject? meshDefaults) =>
        Build(files, environment, meshDefaults, problems: null, dryRunAll: false)!;

    /// <summary>
    /// What <c>check-config</c> runs: every problem of the version, not only the first, each with
    /// its file position, and every template dry-run on a sample pod (not only the default ones).
    /// Returns the snapshot when there was none.
    /// </summary>
    public static ConfigSnapshot? Check(ConfigFiles files, Func<string, string?> environment, List<ConfigException> problems) =>
        Build(files, environment, meshDefaults: null, problems, dryRunAll: true);

    private static ConfigSnapshot? Build(ConfigFiles files, Func<string, string?> environment, JsonObject? meshDefaults,
        List<ConfigException>? problems, bool dryRunAll)
    {
        var warnings = new List<string>();
        var configOrigin = files.OriginOf(ConfigFile);
        var configName = configOrigin.Name;

        // A problem that leaves the rest checkable: thrown when loading, collected when checking.
        void Problem(ConfigException e)
        {
            if (problems is null)
            {
                throw e;
            }
            problems.Add(e);
        }

        JsonNode? root;
        try
        {
            root = ParsePart(files.Config, configOrigin);
        }
        catch (ConfigException e)
        {
            Problem(e);
            return null;
        }
        if (root is not JsonObject config)
        {
            Problem(new ConfigException(configName, configOrigin.Placement.FirstLine, 1, "the config must be a YAML mapping"));
            return null;
        }
        foreach (var (key, _) in config)
        {
            if (!KnownKeys.Contains(key))
            {
                warnings.Add($"{configName}: unknown key '{key}' is ignored");
            }
        }

        var values = ReadMappingPart(files.Values, files.OriginOf(ValuesFile), "values must be a mapping", Problem) ?? [];
        var meshOverlay = ReadMappingPart(files.Mesh, files.OriginOf(MeshFile), "mesh must be a MeshConfig mapping", Problem);
        var mesh = Mesh.MeshConfig.Apply(meshDefaults, meshOverlay);

        // Each of these reads its own field: one failing leaves the others worth checking.
        T Read<T>(Func<T> read, T fallback)
        {
            try
            {
                return read();
            }
            catch (ConfigException e)
            {
                Problem(e);
                return fallback;
            }
        }

        var policy = Read(() => ReadPolicy(config["policy"], configName), InjectionPolicy.Enabled);
        var functions = IstioFunctions.InjectionFunctions(environment);
        var templates = ReadTemplates(config["templates"], files.Config, configOrigin, functions, Problem);
        if (templates.Count == 0)
        {
            warnings.Add($"{configName}: no templates are defined, so injected pods get only annotations");
        }
        var aliases = Read(() => ReadAliases(config["aliases"], configName), []);
        // Missing or empty, as in Istio: the sidecar template.
        var defaultTemplates = Read(() => ReadStringList(config["defaultTemplates"], configName, "defaultTemplates"), null) is { Count: > 0 } listed
            ? listed
            : ["sidecar"];
        List<SidecarTemplate> defaultSet = [];
        if (templates.Count > 0)
        {
            defaultSet = TemplateSelection.Resolve(defaultTemplates, templates, aliases) ?? [];
            // A default template that is there but did not compile has its own problem already.
            if (defaultSet.Count == 0 && TemplateSelection.FirstMissing(defaultTemplates, templates, aliases) is { } missing
                && !(config["templates"] is JsonObject declared && declared.ContainsKey(missing)))
            {
                Problem(new ConfigException(configName, 0, 0, $"defaultTemplates names a template that is not defined: {missing}"));
            }
        }

        var snapshot = new ConfigSnapshot
        {
            Version = files.Version(),
            Source = files.Source,
            Policy = policy,
            NeverInjectSelector = Read(() => ReadSelectors(config["neverInjectSelector"], configName, "neverInjectSelector"), []),
            AlwaysInjectSelector = Read(() => ReadSelectors(config["alwaysInjectSelector"], configName, "alwaysInjectSelector"), []),
            InjectedAnnotations = Read(() => ReadStringMap(config["injectedAnnotations"], configName, "injectedAnnotations"), []),
            DefaultTemplates = defaultTemplates,
            Templates = templates,
            Aliases = aliases,
            Settings = new TemplateSettings(values, mesh, environment),
            Warnings = warnings,
            DefaultTemplateSet = defaultSet,
        };
        DryRun(snapshot, configName, defaultSet, Problem);
        if (dryRunAll)
        {
            // Istio's ConfigMap also holds templates its gateway controller renders into whole
            // Deployments (waypoint, kube-gateway): not pod fragments, and never chosen for a pod
            // unless one asks by annotation. Said, not refused.
            var others = new List<SidecarTemplate>();
            foreach (var template in templates.Values)
            {
                if (!defaultSet.Contains(template))
                {
                    others.Add(template);
                }
            }
            DryRun(snapshot, configName, others, e => warnings.Add(
                $"{e.Message} (not a default template: a pod that asks for it with {TemplateSelection.TemplatesAnnotation} would be denied)"));
        }
        return problems is { Count: > 0 } ? null : snapshot;
    }

    /// <summary>An optional text of the ConfigMap that must be a mapping (values, mesh); null when absent, empty or refused.</summary>
    private static JsonObject? ReadMappingPart(byte[]? bytes, TextOrigin origin, string notMapping, Action<ConfigException> problem)
    {
        if (bytes is not { Length: > 0 })
        {
            return null;
        }
        try
        {
            switch (ParsePart(bytes, origin))
            {
                case null:
                    return null;
                case JsonObject o:
                    return o;
                default:
                    problem(new ConfigException(origin.Name, origin.Placement.FirstLine, 1, notMapping));
                    return null;
            }
        }
        catch (ConfigException e)
        {
            problem(e);
            return null;
        }
    }

    /// <summary>One of the ConfigMap's texts as YAML, problems placed in the user's file.</summary>
    private static JsonNode? ParsePart(byte[] bytes, TextOrigin origin)
    {
        try
        {
            return YamlDocument.Parse(Decode(bytes, origin.Name), origin.Name);
        }
        catch (ConfigException e) when (e.Origin == origin.Name)
        {
            throw origin.Relocate(e);
        }
    }

    /// <summary>
    /// Renders templates once, for a realistic pod, before the version is accepted: one that fails
    /// to execute or writes something that is not a Pod fragment is rejected now instead of denying
    /// every pod later. Loading dry-runs the default templates (those every pod gets; Istio ships
    /// gateway and waypoint ones chosen only by annotation); check-config dry-runs them all.
    /// </summary>
    private static void DryRun(ConfigSnapshot snapshot, string source, IEnumerable<SidecarTemplate> templates, Action<ConfigException> problem)
    {
        JsonObject? pod = null;
        foreach (var template in templates)
        {
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
                problem(new ConfigException(source, 0, 0, $"template {template.Name} fails on a sample pod: {e.Message}"));
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

    private static Dictionary<string, SidecarTemplate> ReadTemplates(JsonNode? node, byte[] configBytes, TextOrigin configOrigin,
        FunctionTable functions, Action<ConfigException> problem)
    {
        var templates = new Dictionary<string, SidecarTemplate>(StringComparer.Ordinal);
        var source = configOrigin.Name;
        if (node is null)
        {
            return templates;
        }
        if (node is not JsonObject map)
        {
            problem(new ConfigException(source, 0, 0, "templates must be a mapping of name to template text"));
            return templates;
        }
        string? configText = null;
        foreach (var (name, text) in map)
        {
            try
            {
                var body = text is null ? "" : ReadString(text, source, "templates." + name);
                templates[name] = TemplateCompiler.Compile(name, body, source, functions);
            }
            catch (ConfigException e) when (e.Line > 0)
            {
                // A line of the template: placed in the config file (and the file around it) when the
                // template is a literal block there, as Istio's chart writes them.
                configText ??= Encoding.UTF8.GetString(configBytes);
                var inConfig = YamlPositions.BlockScalar(configText, 0, "templates", name) is { } placement
                    ? new TextOrigin(source, placement).Relocate(e)
                    : new ConfigException(source + " (template " + name + ")", e.Line, e.Column, e.Detail);
                problem(inConfig.Origin == source
                    ? configOrigin.Relocate(inConfig, $"template {name}: ")
                    : inConfig);
            }
            catch (ConfigException e)
            {
                problem(e);
            }
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
