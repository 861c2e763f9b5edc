namespace SidecarInjector.Tests.Support;

/// <summary>Locates the repository, and the test data vendored into it, from wherever tests run.</summary>
internal static class Paths
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Test data copied into the repository (each folder with its LICENSE and source note).</summary>
    public static string Testdata => Path.Combine(RepositoryRoot, "tests", "testdata");

    /// <summary>Istio's injection corpus, December 2024.</summary>
    public static string IstioTestdata => Path.Combine(Testdata, "istio-inject");

    /// <summary>Istio's injection corpus, August 2026 (istio/istio 86c9f01fd735).</summary>
    public static string IstioHeadTestdata => Path.Combine(Testdata, "istio-inject-head");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "webhook.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("webhook.sln not found above " + AppContext.BaseDirectory);
    }
}
