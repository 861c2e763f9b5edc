using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using SidecarInjector.Errors;

namespace SidecarInjector.Merge;

/// <summary>
/// Istio's validateAnnotations (validate.go): traffic and status annotations with bad values
/// make injection fail, so a typo in a port list never silently disables interception.
/// </summary>
internal static class AnnotationValidation
{
    private static readonly Dictionary<string, Func<string, string?>> Rules = new(StringComparer.Ordinal)
    {
        ["traffic.sidecar.istio.io/includeOutboundIPRanges"] = v => v == "*" ? null : Cidrs(v, "includeIPRanges"),
        ["traffic.sidecar.istio.io/excludeOutboundIPRanges"] = v => Cidrs(v, "excludeIPRanges"),
        ["traffic.sidecar.istio.io/includeInboundPorts"] = v => v == "*" ? null : Ports(v, "includeInboundPorts"),
        ["traffic.sidecar.istio.io/excludeInboundPorts"] = v => Ports(v, "excludeInboundPorts"),
        ["traffic.sidecar.istio.io/excludeOutboundPorts"] = v => Ports(v, "excludeOutboundPorts"),
        ["status.sidecar.istio.io/port"] = v => Port(v, "statusPort", allowZero: true),
        ["readiness.status.sidecar.istio.io/initialDelaySeconds"] = v => Unsigned(v, "initialDelaySeconds"),
        ["readiness.status.sidecar.istio.io/periodSeconds"] = v => Unsigned(v, "periodSeconds"),
        ["readiness.status.sidecar.istio.io/failureThreshold"] = v => Unsigned(v, "failureThreshold"),
        ["sidecar.istio.io/interceptionMode"] = v => v is "REDIRECT" or "TPROXY" or "NONE" ? null : $"invalid interceptionMode \"{v}\": must be REDIRECT, TPROXY or NONE",
        ["prometheus.istio.io/merge-metrics"] = v => bool.TryParse(v, out _) ? null : $"invalid merge-metrics \"{v}\": must be true or false",
    };

    public static void Validate(JsonObject pod)
    {
        if (pod["metadata"]?["annotations"] is not JsonObject annotations)
        {
            return;
        }
        var errors = new List<string>();
        foreach (var (key, value) in annotations)
        {
            if (Rules.TryGetValue(key, out var rule) && rule(value?.ToString() ?? "") is { } error)
            {
                errors.Add($"{key}: {error}");
            }
        }
        if (errors.Count > 0)
        {
            errors.Sort(StringComparer.Ordinal);
            Throw.BadPod("annotation validation failed: " + string.Join("; ", errors));
        }
    }

    private static string? Cidrs(string value, string name)
    {
        if (value.Length == 0)
        {
            return null;
        }
        foreach (var part in value.Split(','))
        {
            var cidr = part.Trim();
            if (cidr.Length > 0 && !IPNetwork.TryParse(cidr, out _))
            {
                return $"failed parsing {name} \"{value}\": \"{cidr}\" is not a CIDR";
            }
        }
        return null;
    }

    private static string? Ports(string value, string name)
    {
        if (value.Trim().Length == 0)
        {
            return null;
        }
        foreach (var part in value.Split(','))
        {
            if (Port(part.Trim(), name, allowZero: false) is { } error)
            {
                return error;
            }
        }
        return null;
    }

    private static string? Port(string value, string name, bool allowZero) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535 && (allowZero || port > 0)
            ? null
            : $"invalid {name} \"{value}\": must be a port number";

    private static string? Unsigned(string value, string name) =>
        uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? null : $"invalid {name} \"{value}\": must be a whole number";
}
