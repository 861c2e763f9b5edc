namespace SidecarInjector.Render;

/// <summary>
/// Which nodes can run native sidecars, as Istio's DetectNativeSidecar decides it under
/// ENABLE_NATIVE_SIDECARS=auto: a node can when its kubelet is 1.33 or later (the release where
/// sidecar containers became stable); a pod that names its node gets that node's answer, any other
/// pod native sidecars only when every node can (a pod may land on the oldest). A kubelet version
/// that cannot be read counts as "cannot", as in Istio. Immutable: a change of the nodes makes a new one.
/// </summary>
internal sealed class NativeSidecarNodes
{
    /// <summary>The first Kubernetes minor release whose kubelet runs sidecar containers by default (stable).</summary>
    public const int MinimumMinor = 33;

    private readonly Dictionary<string, bool> _nodes;

    private NativeSidecarNodes(Dictionary<string, bool> nodes, string? firstUnable)
    {
        _nodes = nodes;
        FirstUnable = firstUnable;
    }

    /// <summary>A node (by name, in name order) that cannot run native sidecars, or null when every node can.</summary>
    public string? FirstUnable { get; }

    /// <summary>How many nodes there are.</summary>
    public int Count => _nodes.Count;

    /// <summary>The nodes by name and kubelet version (as the Node's status.nodeInfo.kubeletVersion says it).</summary>
    public static NativeSidecarNodes Of(IEnumerable<KeyValuePair<string, string?>> kubeletVersions)
    {
        var nodes = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (name, version) in kubeletVersions)
        {
            nodes[name] = RunsNativeSidecars(version);
        }
        string? firstUnable = null;
        foreach (var (name, able) in nodes)
        {
            if (!able && (firstUnable is null || string.CompareOrdinal(name, firstUnable) < 0))
            {
                firstUnable = name;
            }
        }
        return new NativeSidecarNodes(nodes, firstUnable);
    }

    /// <summary>Whether a pod bound to <paramref name="nodeName"/> (none: the scheduler will choose) gets native sidecars.</summary>
    public bool For(string? nodeName)
    {
        // A node the pod names but nobody has seen: Istio warns and falls back to every node.
        if (!string.IsNullOrEmpty(nodeName) && _nodes.TryGetValue(nodeName, out var able))
        {
            return able;
        }
        return FirstUnable is null;
    }

    /// <summary>The same answer for every pod as <paramref name="other"/> gives (a watch event that changed nothing that matters).</summary>
    public bool SameAs(NativeSidecarNodes? other)
    {
        if (other is null || other._nodes.Count != _nodes.Count)
        {
            return false;
        }
        foreach (var (name, able) in _nodes)
        {
            if (!other._nodes.TryGetValue(name, out var otherAble) || otherAble != able)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Istio reads the version with hashicorp's go-version ("v1.33.2", "1.34", "v1.33.1-eks-4f4795d",
    /// "v1.33.0+k3s1") and compares its second segment only. Anything it cannot read is "cannot".
    /// </summary>
    public static bool RunsNativeSidecars(string? kubeletVersion)
    {
        if (string.IsNullOrEmpty(kubeletVersion))
        {
            return false;
        }
        var text = kubeletVersion.AsSpan();
        if (text[0] is 'v' or 'V')
        {
            text = text[1..];
        }
        int majorEnd = DigitsEnd(text, 0);
        if (majorEnd == 0 || majorEnd >= text.Length || text[majorEnd] != '.')
        {
            return false;
        }
        int minorEnd = DigitsEnd(text, majorEnd + 1);
        if (minorEnd == majorEnd + 1 || (minorEnd < text.Length && text[minorEnd] is not ('.' or '-' or '+')))
        {
            return false;
        }
        return int.TryParse(text[(majorEnd + 1)..minorEnd], System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var minor) && minor >= MinimumMinor;
    }

    private static int DigitsEnd(ReadOnlySpan<char> text, int start)
    {
        int i = start;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }
        return i;
    }
}
