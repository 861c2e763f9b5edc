namespace SidecarInjector.Tests.Support;

/// <summary>Reads series out of the Prometheus text the admin port serves.</summary>
internal static class PrometheusText
{
    /// <summary>The value of one series (name and labels exactly as written), 0 when it is not there yet.</summary>
    public static double Value(string metrics, string series)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }
}
