using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Json;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

public sealed class PrunableFieldsTests
{
    private static string Config(string template) => $$"""
        policy: enabled
        defaultTemplates: [t]
        templates:
          t: |
        {{string.Join("\n", template.Split('\n').Select(line => "    " + line))}}
        """;

    [Fact]
    public void The_default_config_lets_every_candidate_and_volume_sources_go()
    {
        var fields = PrunableFields.For(InProcess.DefaultConfig);
        Assert.Equal(PrunableFields.ContainerCandidates, fields.ContainerFields);
        Assert.True(fields.VolumeSources);
    }

    [Fact]
    public void A_field_a_template_reads_is_kept()
    {
        var config = InProcess.Config(Config("""
            metadata:
              annotations:
                env-count: {{ len (index .Spec.Containers 0).Env | quote }}
            """));
        var fields = PrunableFields.For(config);
        Assert.DoesNotContain("env", fields.ContainerFields);
        Assert.Contains("resources", fields.ContainerFields);
    }

    [Fact]
    public void A_template_that_reads_its_whole_data_keeps_everything()
    {
        var config = InProcess.Config(Config("""
            metadata:
              annotations:
                all: {{ toJson . | quote }}
            """));
        Assert.True(PrunableFields.For(config).None);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""[{"name":"A","value":"1"}]""")]
    public void A_template_that_tests_a_pruned_value_for_truth_answers_as_on_the_whole_pod(string env)
    {
        // `if` reads a value for its truth only, which the analysis does not count: the projection keeps
        // empty lists (false) and cuts only non-empty ones (true, as the placeholder string is).
        var config = InProcess.Config(Config("""
            metadata:
              annotations:
                has-env: {{ if (index .Spec.Containers 0).Env }}"yes"{{ else }}"no"{{ end }}
            """));
        Assert.Contains("env", PrunableFields.For(config).ContainerFields);
        var pod = JsonNode.Parse("""{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x","env":ENV,"resources":{"limits":{"cpu":"1"}}}]}}""".Replace("ENV", env))!.AsObject();
        var review = Encoding.UTF8.GetBytes(Reviews.Review(pod));
        Reviews.Answer Send(bool project)
        {
            using var output = new PooledBufferWriter();
            var handler = new AdmissionHandler(() => config, "default") { ProjectFreshPods = project };
            handler.Handle(review, "/inject", output);
            if (project)
            {
                Assert.Equal(1, handler.ProjectedInjections);
            }
            return Reviews.Parse(Reviews.Utf8(output.WrittenSpan));
        }
        var projected = Reviews.Patched(pod, Send(project: true));
        var whole = Reviews.Patched(pod, Send(project: false));
        Assert.Equal(env == "[]" ? "no" : "yes", whole["metadata"]!["annotations"]!["has-env"]!.GetValue<string>());
        Assert.True(IndependentJsonPatch.SameJson(whole.ToJsonString(), projected.ToJsonString()));
    }
}
