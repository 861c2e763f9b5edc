namespace SidecarInjector.Decode;

/// <summary>
/// Istio's <c>/inject/cluster/{cluster}/net/{network}</c> (any key/value pairs after /inject):
/// each pair becomes an env var of the proxy container. See Istio's parseInjectEnvs.
/// </summary>
internal static class InjectPathParameters
{
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(ReadOnlySpan<char> path)
    {
        const string prefix = "/inject";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return [];
        }
        var rest = path[prefix.Length..].Trim('/');
        if (rest.IsEmpty)
        {
            return [];
        }
        var parts = rest.ToString().Split('/');
        var env = new List<KeyValuePair<string, string>>();
        for (int i = 0; i + 1 < parts.Length; i += 2)
        {
            var key = parts[i] switch
            {
                "cluster" => "ISTIO_META_CLUSTER_ID",
                "net" => "ISTIO_META_NETWORK",
                var other => other.ToUpperInvariant(),
            };
            var value = parts[i + 1].Replace("--slash--", "/", StringComparison.Ordinal);
            if (key.Length > 0 && value.Length > 0)
            {
                env.Add(new(key, value));
            }
        }
        return env;
    }
}
