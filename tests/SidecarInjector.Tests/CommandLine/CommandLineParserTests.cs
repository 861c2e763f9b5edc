using SidecarInjector.CommandLine;

namespace SidecarInjector.Tests.CommandLine;

/// <summary>Flags, their environment variables, and refusals that say what is wrong.</summary>
public sealed class CommandLineParserTests
{
    private static Command Parse(string[] args, Dictionary<string, string>? environment = null) =>
        CommandLineParser.Parse(args, name => environment?.GetValueOrDefault(name));

    [Fact]
    public void Log_format_json_is_read_from_the_flag_or_the_environment()
    {
        Assert.True(Assert.IsType<Command.Serve>(Parse(["--log-format", "json"])).Options.JsonLogs);
        Assert.True(Assert.IsType<Command.Serve>(Parse([], new() { ["SIDECAR_INJECTOR_LOG_FORMAT"] = "json" })).Options.JsonLogs);
        Assert.False(Assert.IsType<Command.Serve>(Parse([])).Options.JsonLogs);
    }

    [Fact]
    public void A_flag_wins_over_its_environment_variable()
    {
        var serve = Assert.IsType<Command.Serve>(Parse(["--log-format=text", "--port", "7443"],
            new() { ["SIDECAR_INJECTOR_LOG_FORMAT"] = "json", ["SIDECAR_INJECTOR_PORT"] = "6443" }));
        Assert.False(serve.Options.JsonLogs);
        Assert.Equal(7443, serve.Options.Port);
    }

    [Fact]
    public void The_memory_budget_defaults_to_the_memory_limit_unless_set()
    {
        var defaults = Assert.IsType<Command.Serve>(Parse([])).Options;
        Assert.Null(defaults.MaxInflightBytes);
        Assert.Equal(2 * 1024 * 1024, defaults.MaxRequestBytes);
        Assert.Equal(TimeSpan.FromSeconds(10), defaults.SelfCheckInterval);

        var set = Assert.IsType<Command.Serve>(Parse(["--max-inflight-bytes", "1048576"],
            new() { ["SIDECAR_INJECTOR_SELF_CHECK_INTERVAL"] = "3" })).Options;
        Assert.Equal(1048576, set.MaxInflightBytes);
        Assert.Equal(TimeSpan.FromSeconds(3), set.SelfCheckInterval);
    }

    [Theory]
    [InlineData(new[] { "--max-inflight-bytes", "10" }, "--max-inflight-bytes must be a whole number >= 1024, not '10'")]
    [InlineData(new[] { "--self-check-interval", "0" }, "--self-check-interval must be a whole number >= 1, not '0'")]
    [InlineData(new[] { "--log-format", "yaml" }, "--log-format must be text or json, not 'yaml'")]
    [InlineData(new[] { "--log-level", "verbose" }, "--log-level must be Trace, Debug, Information, Warning, Error, Critical or None, not 'verbose'")]
    [InlineData(new[] { "--port", "70000" }, "--port must be a port number")]
    [InlineData(new[] { "--nope" }, "unknown flag '--nope'")]
    [InlineData(new[] { "--port" }, "flag --port needs a value")]
    [InlineData(new[] { "--config-dir", "/a", "--config-file", "/b.yaml" }, "--config-dir and --config-file exclude each other")]
    public void A_bad_value_is_refused_not_replaced_by_a_default(string[] args, string expected)
    {
        var invalid = Assert.IsType<Command.Invalid>(Parse(args));
        Assert.Contains(expected, invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_file_replaces_the_default_config_directory()
    {
        var options = Assert.IsType<Command.Serve>(Parse([], new() { ["SIDECAR_INJECTOR_CONFIG_FILE"] = "/etc/cm/injector.yaml" })).Options;
        Assert.Null(options.ConfigDir);
        Assert.Equal("/etc/cm/injector.yaml", options.ConfigFile);
        Assert.Equal("/etc/cm", options.ConfigSource.WatchedDirectory);
        Assert.Equal(ServeOptions.DefaultConfigDir, Assert.IsType<Command.Serve>(Parse([])).Options.ConfigDir);
        Assert.IsType<Command.CheckConfig>(Parse(["check-config", "--config-file", "x.yaml"]));
    }

    [Fact]
    public void Version_names_the_release_and_the_commit()
    {
        Assert.IsType<Command.Version>(Parse(["--version"]));
        var text = VersionText.Build();
        Assert.Matches(@"^sidecar-injector \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,40}|unknown), \.NET \d+", text);
    }

    [Fact]
    public void Every_serve_flag_is_in_the_readme()
    {
        var readme = File.ReadAllText(Path.Combine(Support.Paths.RepositoryRoot, "README.md"));
        foreach (var (flag, _, _) in CommandLineParser.ServeFlags)
        {
            Assert.Contains($"`{flag}", readme, StringComparison.Ordinal);
            Assert.Contains(CommandLineParser.EnvName(flag), readme, StringComparison.Ordinal);
        }
    }
}
