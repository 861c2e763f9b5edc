namespace SidecarInjector.CommandLine;

/// <summary><c>k=v,k2=v2</c> (explain's --namespace-labels, check-inject's -l): labels as kubectl's <c>-l</c> writes equality pairs.</summary>
internal static class LabelPairs
{
    public static bool TryParse(string? text, out Dictionary<string, string> labels, out string? error)
    {
        labels = new Dictionary<string, string>(StringComparer.Ordinal);
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=');
            if (equals <= 0)
            {
                error = $"'{pair}' is not key=value";
                return false;
            }
            labels[pair[..equals]] = pair[(equals + 1)..];
        }
        return true;
    }
}
