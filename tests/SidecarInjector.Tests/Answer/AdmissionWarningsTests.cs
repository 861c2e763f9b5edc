using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>What injection had to ignore is said to the user: AdmissionResponse warnings, which kubectl prints.</summary>
public sealed class AdmissionWarningsTests
{
    [Fact]
    public void A_malformed_scrape_target_list_is_ignored_with_a_warning_and_the_pod_still_injected()
    {
        var pod = Reviews.SamplePod();
        pod["metadata"]!["annotations"] = new System.Text.Json.Nodes.JsonObject
        {
            ["prometheus.io/port"] = "8080",
            ["prometheus.istio.io/scrape-targets"] = ":/metrics",
        };
        var answer = InProcess.Send(Reviews.Review(pod));
        Assert.True(answer.Allowed);
        Assert.NotNull(answer.Patch);
        var warning = Assert.Single(answer.Warnings!);
        Assert.Contains("prometheus.istio.io/scrape-targets", warning, StringComparison.Ordinal);
        Assert.Contains("empty port in scrape target", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pod_with_nothing_ignored_gets_no_warnings_field()
    {
        var answer = InProcess.Send(Reviews.Review(Reviews.SamplePod()));
        Assert.True(answer.Allowed);
        Assert.Null(answer.Warnings);
    }
}
