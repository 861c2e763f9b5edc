using System.Reflection;

namespace SidecarInjector.CommandLine;

/// <summary>
/// What --version prints: the release and the commit it was built from. The SDK appends the
/// commit to the informational version (<c>0.5.0+3f2a…</c>) when it builds from a git checkout or
/// is given <c>-p:SourceRevisionId=</c> (Dockerfile.aot passes GIT_COMMIT).
/// </summary>
internal static class VersionText
{
    public static string Build()
    {
        var informational = typeof(VersionText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        var release = plus < 0 ? informational : informational[..plus];
        var commit = plus < 0 ? "unknown" : informational[(plus + 1)..];
        return $"sidecar-injector {release} (commit {commit}, .NET {Environment.Version})";
    }
}
