using System.Text.Json.Nodes;
using GoTemplates;
using SidecarInjector.Configuration;
using SidecarInjector.Render;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Render;

public sealed class SidecarTemplateTests
{
    private static SidecarTemplate Compile(string text) =>
        TemplateCompiler.Compile("sidecar", text, "test", IstioFunctions.InjectionFunctions(_ => null));

    [Fact]
    public void The_same_rendered_text_is_parsed_once_and_a_different_one_again()
    {
        var template = Compile("""
            spec:
              containers:
              - name: istio-proxy
                image: "proxy:{{ .tag }}"
            """);
        object? Data(string tag) => GoValues.FromJson(new JsonObject { ["tag"] = tag });

        var first = template.Render(() => Data("1")).Fragment;
        Assert.Same(first, template.Render(() => Data("1")).Fragment);
        var other = template.Render(() => Data("2")).Fragment;
        Assert.NotSame(first, other);
        Assert.Equal("proxy:2", other["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal("proxy:1", first["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
    }

    /// <summary>
    /// A remembered render is shared by later pods: injecting must leave it as it was, so that a pod
    /// injected after others gets exactly what it gets from a config that has seen nothing yet.
    /// </summary>
    [Fact]
    public void Pods_after_the_first_get_what_a_fresh_config_gives_them()
    {
        var shared = ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault());
        var pods = new List<JsonObject>();
        for (int i = 0; i < 4; i++)
        {
            var pod = Reviews.SamplePod();
            pod["metadata"]!["labels"]!["build"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            pods.Add(pod);
        }
        foreach (var pod in pods.Concat(pods))
        {
            var review = Reviews.Review(pod, uid: "u");
            var fresh = InProcess.Send(review, ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault()));
            var viaShared = InProcess.Send(review, shared);
            Assert.NotNull(fresh.Patch);
            // Equal pods, not equal bytes: a shared config's later pods are patched straight from their bytes (DirectPatch).
            Assert.True(IndependentJsonPatch.SameJson(Reviews.Patched(pod, fresh).ToJsonString(), Reviews.Patched(pod, viaShared).ToJsonString()));
        }
    }
}
