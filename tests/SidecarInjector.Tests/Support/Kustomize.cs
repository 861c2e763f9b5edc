using System.Diagnostics;

namespace SidecarInjector.Tests.Support;

/// <summary>
/// `kubectl kustomize`, as `kubectl apply -k` renders a folder of deploy/. Without kubectl the tests are
/// reported as skipped, except in CI (CI=true), where .ci/run installs kubectl and a missing one is a failure.
/// </summary>
internal static class Kustomize
{
    /// <summary>The rendered objects of <paramref name="overlay"/> (relative to the repository, or absolute), as YAML.</summary>
    public static string Render(string overlay)
    {
        var kubectl = FindKubectl();
        Skip.If(kubectl is null && Environment.GetEnvironmentVariable("CI") != "true",
            "kubectl is not installed (apt-get install kubectl); .ci/run installs it and runs these tests");
        Assert.True(kubectl is not null, "kubectl not found on PATH");
        var start = new ProcessStartInfo(kubectl, ["kustomize", Path.Combine(Paths.RepositoryRoot, overlay)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {overlay} failed: {stderr.Result}");
        return stdout;
    }

    private static string? FindKubectl()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "kubectl");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
