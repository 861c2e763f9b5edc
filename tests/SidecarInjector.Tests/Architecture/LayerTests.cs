using ArchUnitNET.Domain;
using ArchUnitNET.Loader;

namespace SidecarInjector.Tests.Architecture;

/// <summary>
/// Dependencies point one way, down the pipeline: a namespace may use only the layers below it, so a
/// cycle (a lower layer calling its user) fails here. The Go template engine is a library that
/// knows nothing of the injector. Read from the compiled assemblies with ArchUnitNET.
/// </summary>
public sealed class LayerTests
{
    /// <summary>Bottom to top; a layer may depend on any layer before it (and on itself), never after.</summary>
    private static readonly string[][] Layers =
    [
        ["GoTemplates"],                                              // Go's text/template, alone
        ["SidecarInjector.Errors", "SidecarInjector.Json", "SidecarInjector.Metrics", "SidecarInjector.Watching"],
        ["SidecarInjector.KubernetesGo"],                             // Kubernetes' and Go's formats
        ["SidecarInjector.Decode", "SidecarInjector.Mesh"],           // 1-2: the review and the pod; the mesh config
        ["SidecarInjector.Decide"],                                   // who gets a sidecar
        ["SidecarInjector.Render"],                                   // 3: templates with the pod
        ["SidecarInjector.Configuration"],                            // load, validate, compile, swap
        ["SidecarInjector.Merge", "SidecarInjector.Patch"],           // 4: merge and Istio's passes; the JSON patch
        ["SidecarInjector.Answer", "SidecarInjector.KubeInject"],     // 5-6: the response; offline injection
        ["SidecarInjector.Certificates", "SidecarInjector.CommandLine", "SidecarInjector.Cluster", "SidecarInjector.Explain"], // the cluster's API; check-inject
        ["SidecarInjector.Hosting"],                                  // Kestrel, endpoints, lifetime
        ["SidecarInjector"],                                          // Program
    ];

    private static readonly ArchUnitNET.Domain.Architecture Loaded = new ArchLoader()
        .LoadAssemblies(typeof(Program).Assembly, typeof(GoTemplates.GoTemplate).Assembly)
        .Build();

    private static int LayerOf(string ns)
    {
        for (int i = 0; i < Layers.Length; i++)
        {
            if (Array.IndexOf(Layers[i], ns) >= 0)
            {
                return i;
            }
        }
        return -1;
    }

    private static bool Ours(string ns) => ns == "SidecarInjector" || ns.StartsWith("SidecarInjector.", StringComparison.Ordinal)
        || ns == "GoTemplates" || ns.StartsWith("GoTemplates.", StringComparison.Ordinal);

    private static IEnumerable<(IType From, IType To)> Dependencies()
    {
        foreach (var type in Loaded.Types)
        {
            if (type.Namespace?.FullName is not { } from || !Ours(from))
            {
                continue;
            }
            foreach (var dependency in type.Dependencies)
            {
                // A generic method's type parameter is named after the first type that declares it (two source-generated
                // JSON contexts share TryGetTypeInfoForRuntimeCustomConverter<T>): not a dependency.
                if (dependency.Target is GenericParameter)
                {
                    continue;
                }
                if (dependency.Target?.Namespace?.FullName is { } to && Ours(to) && to != from)
                {
                    yield return (type, dependency.Target);
                }
            }
        }
    }

    [Fact]
    public void Every_namespace_has_a_layer()
    {
        var unplaced = Loaded.Types.Select(t => t.Namespace?.FullName ?? "").Where(Ours).Distinct().Where(ns => LayerOf(ns) < 0).ToList();
        Assert.True(unplaced.Count == 0, "namespaces with no layer (add them to LayerTests.Layers): " + string.Join(", ", unplaced));
    }

    [Fact]
    public void Dependencies_point_down_the_layers()
    {
        var upward = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (from, to) in Dependencies())
        {
            int fromLayer = LayerOf(from.Namespace.FullName), toLayer = LayerOf(to.Namespace.FullName);
            if (fromLayer >= 0 && toLayer > fromLayer)
            {
                upward.Add($"{from.FullName} ({from.Namespace.FullName}) -> {to.FullName} ({to.Namespace.FullName})");
            }
        }
        Assert.True(upward.Count == 0, "dependencies that point up a layer:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void Namespaces_of_one_layer_do_not_depend_on_each_other_both_ways()
    {
        var edges = new Dictionary<(string, string), string>();
        foreach (var (from, to) in Dependencies())
        {
            edges.TryAdd((from.Namespace.FullName, to.Namespace.FullName), $"{from.FullName} -> {to.FullName}");
        }
        var cycles = edges.Keys.Where(e => edges.ContainsKey((e.Item2, e.Item1)) && string.CompareOrdinal(e.Item1, e.Item2) < 0)
            .Select(e => $"{edges[e]} and {edges[(e.Item2, e.Item1)]}").ToList();
        Assert.True(cycles.Count == 0, "namespace cycles: " + string.Join(", ", cycles));
    }

    [Fact]
    public void The_template_engine_references_nothing_of_the_injector()
    {
        var engine = typeof(GoTemplates.GoTemplate).Assembly;
        Assert.DoesNotContain(engine.GetReferencedAssemblies(), a => a.Name is "sidecar-injector" || a.Name!.StartsWith("SidecarInjector", StringComparison.Ordinal));
        Assert.All(Dependencies().Where(d => d.From.Namespace.FullName.StartsWith("GoTemplates", StringComparison.Ordinal)),
            d => Assert.StartsWith("GoTemplates", d.To.Namespace.FullName, StringComparison.Ordinal));
    }

    [Fact]
    public void The_rules_can_fail()
    {
        // The check itself sees real edges: Hosting uses Answer (down), and is seen doing so.
        Assert.Contains(Dependencies(), d => d.From.Namespace.FullName == "SidecarInjector.Hosting" && d.To.Namespace.FullName == "SidecarInjector.Answer");
    }
}
