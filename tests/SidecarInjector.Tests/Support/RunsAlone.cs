namespace SidecarInjector.Tests.Support;

/// <summary>
/// Tests that load every core for minutes (the 100,000-pod differential test) run in this collection,
/// after the others and alone: beside them, tests with real-time bounds (a caBundle restored within 2 s)
/// would measure the load, not the code.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
