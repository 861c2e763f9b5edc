namespace SidecarInjector.Decide;

/// <summary>The few pod fields the decision reads, gathered before any tree is built.</summary>
internal sealed class PodFacts
{
    public static readonly IReadOnlyDictionary<string, string> NoEntries = new Dictionary<string, string>();

    public string Namespace { get; set; } = "";

    /// <summary>metadata.name, or else metadata.generateName (a controller's pods have only that), for logs.</summary>
    public string Name { get; set; } = "";

    public bool HostNetwork { get; set; }
    public IReadOnlyDictionary<string, string> Labels { get; set; } = NoEntries;
    public IReadOnlyDictionary<string, string> Annotations { get; set; } = NoEntries;
}
