using System.Globalization;
using System.Text.Json.Nodes;

namespace SidecarInjector.Render;

/// <summary>
/// The uid and gid the proxy runs as (the template's .ProxyUID and .ProxyGID). 1337, except on
/// OpenShift, where a namespace may only run uids of the range the cluster gave it: the proxy takes
/// the highest uid of openshift.io/sa.scc.uid-range and the highest gid of the first block of
/// openshift.io/sa.scc.supplemental-groups (else of the uid range), as Istio's GetProxyIDs does.
/// </summary>
internal static class ProxyIds
{
    public const string UidRangeAnnotation = "openshift.io/sa.scc.uid-range";
    public const string SupplementalGroupsAnnotation = "openshift.io/sa.scc.supplemental-groups";

    public static readonly (long Uid, long Gid) Default = (InjectionData.DefaultProxyUid, InjectionData.DefaultProxyUid);

    /// <summary>The ids for a pod of <paramref name="namespaceObject"/> (a Namespace as the API returns it); null: the defaults.</summary>
    public static (long Uid, long Gid) For(JsonObject? namespaceObject)
    {
        var (uid, gid) = Default;
        if (namespaceObject?["metadata"]?["annotations"] is not JsonObject annotations)
        {
            return (uid, gid);
        }
        var uidRange = annotations[UidRangeAnnotation]?.ToString();
        if (uidRange is { Length: > 0 } && TryParseBlock(uidRange, out _, out var uidMax))
        {
            uid = uidMax;
        }
        var groups = annotations[SupplementalGroupsAnnotation]?.ToString() ?? uidRange;
        if (groups is { Length: > 0 } && TryParseGroups(groups, out var firstMax))
        {
            gid = firstMax;
        }
        return (uid, gid);
    }

    /// <summary>All comma-separated blocks must parse; the first block's end is the gid.</summary>
    private static bool TryParseGroups(string groups, out long firstMax)
    {
        firstMax = 0;
        bool first = true;
        foreach (var segment in groups.Split(','))
        {
            if (!TryParseBlock(segment, out _, out var max))
            {
                return false;
            }
            if (first)
            {
                firstMax = max;
                first = false;
            }
        }
        return !first;
    }

    /// <summary>OpenShift's uid block: "start/size" or "start-end", unsigned 32-bit numbers.</summary>
    internal static bool TryParseBlock(string text, out long start, out long end)
    {
        start = end = 0;
        bool sized = text.Contains('/', StringComparison.Ordinal);
        var parts = text.Split(sized ? '/' : '-', 2);
        if (parts.Length != 2
            || !uint.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !uint.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var second))
        {
            return false;
        }
        start = first;
        // As OpenShift's uid.Block (uint32 arithmetic): a size of 0 wraps.
        end = sized ? unchecked((uint)(first + second - 1)) : second;
        return true;
    }
}
