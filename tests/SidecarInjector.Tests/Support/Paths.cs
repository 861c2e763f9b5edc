namespace SidecarInjector.Tests.Support;

/// <summary>Locates the repository and the shared/ folder beside it, from wherever tests run.</summary>
internal static class Paths
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>../shared next to the project root: Istio's corpus and the docs.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared"));

    public static string IstioTestdata => Path.Combine(Shared, "testdata", "istio-inject");

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
