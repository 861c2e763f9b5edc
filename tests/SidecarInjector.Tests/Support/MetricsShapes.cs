using System.Text.Json.Nodes;

namespace SidecarInjector.Tests.Support;

/// <summary>
/// Metrics annotations in the shapes the metrics merge must get exactly right, added at random to
/// generated pods by the direct path's differential test: other spellings of the scrape keys (the merge
/// compares them sanitised), the agent's own port, ports it refuses, scrape off or empty, a path alone,
/// annotations it does not read, and the ones the direct path leaves to the merge (targets, merge-metrics).
/// </summary>
internal static class MetricsShapes
{
    public static void AddSome(JsonObject pod, Random random)
    {
        var metadata = pod["metadata"]!.AsObject();
        if (metadata["annotations"] is not JsonObject annotations)
        {
            annotations = [];
            metadata["annotations"] = annotations;
        }
        void Maybe(double p, string key, string value)
        {
            if (random.NextDouble() < p)
            {
                annotations[key] = value;
            }
        }
        Maybe(0.4, "prometheus.io/scrape", random.Next(4) switch { 0 => "false", 1 => "", 2 => "True", _ => "true" });
        Maybe(0.4, random.Next(3) == 0 ? "prometheus-io/port" : "prometheus.io/port", random.Next(6) switch
        {
            0 => "15020",
            1 => "15090",
            2 => "http",
            3 => "0",
            _ => random.Next(1024, 9000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        Maybe(0.3, random.Next(2) == 0 ? "prometheus.io/path" : "prometheus_io/path", "/stats?x=<y>&z");
        Maybe(0.2, "prometheus.io/scheme", "https");
        Maybe(0.05, "prometheus.istio.io/merge-metrics", random.Next(2) == 0 ? "false" : "true");
        Maybe(0.05, "prometheus.istio.io/scrape-targets", "9100:/metrics,9200");
    }
}
