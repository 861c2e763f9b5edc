using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using SidecarInjector.Errors;
using SidecarInjector.KubernetesGo;

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
        ["prometheus.istio.io/merge-metrics"] = v => GoStrconv.TryParseBool(v, out _) ? null : $"invalid merge-metrics \"{v}\": must be true or false",
        ["traffic.sidecar.istio.io/excludeInterfaces"] = InterfaceNames,
        ["traffic.sidecar.istio.io/kubevirtInterfaces"] = InterfaceNames,
        ["istio.io/reroute-virtual-interfaces"] = InterfaceNames,
        ["sidecar.istio.io/proxyCPU"] = ResourceQuantity,
        ["sidecar.istio.io/proxyMemory"] = ResourceQuantity,
        ["sidecar.istio.io/proxyCPULimit"] = ResourceQuantity,
        ["sidecar.istio.io/proxyMemoryLimit"] = ResourceQuantity,
    };

    private static readonly Dictionary<string, Func<string, string?>>.AlternateLookup<ReadOnlySpan<char>> RulesByChars =
        Rules.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Whether an annotation of this name has a rule (its value must then be checked with <see cref="Invalid"/>).</summary>
    public static bool HasRule(ReadOnlySpan<char> key) => RulesByChars.ContainsKey(key);

    /// <summary>True when the annotation's value breaks its rule (the whole pod then fails <see cref="Validate"/>).</summary>
    public static bool Invalid(string key, string value) => Rules.TryGetValue(key, out var rule) && rule(value) is not null;

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

    /// <summary>
    /// A comma-separated list of Linux interface names (Istio's netutil.ValidateInterfaceNames): they
    /// reach iptables as arguments, so anything but a name is refused.
    /// </summary>
    private static string? InterfaceNames(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }
        foreach (var part in value.Split(','))
        {
            var name = part.Trim();
            if (name.Length == 0)
            {
                return "empty interface name";
            }
            if (name.Length > 15)
            {
                return $"interface name \"{name}\" too long (max 15 chars)";
            }
            if (!char.IsAsciiLetter(name[0]))
            {
                return $"interface name \"{name}\" contains invalid characters";
            }
            foreach (var c in name)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '.' or '-'))
                {
                    return $"interface name \"{name}\" contains invalid characters";
                }
            }
        }
        return null;
    }

    /// <summary>A Kubernetes resource quantity (the proxy's requests and limits), no control characters.</summary>
    private static string? ResourceQuantity(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return "value contains control characters";
            }
        }
        return Quantity.IsValid(value) ? null : $"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got \"{value}\")";
    }
}
