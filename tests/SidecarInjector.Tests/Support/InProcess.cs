using SidecarInjector.Answer;
using SidecarInjector.Configuration;
using SidecarInjector.Json;

namespace SidecarInjector.Tests.Support;

/// <summary>The admission pipeline without HTTP, for fast behaviour tests.</summary>
internal static class InProcess
{
    public static ConfigSnapshot DefaultConfig { get; } = ConfigLoader.Load(ConfigLoader.ReadEmbeddedDefault());

    public static ConfigSnapshot Config(string config, string values = "{}") =>
        ConfigLoader.Load(new ConfigLoader.ConfigFiles("test", System.Text.Encoding.UTF8.GetBytes(config), System.Text.Encoding.UTF8.GetBytes(values)));

    public static Reviews.Answer Send(string review, ConfigSnapshot? config = null, string path = "/inject")
    {
        var handler = new AdmissionHandler(() => config ?? DefaultConfig, "default");
        using var output = new PooledBufferWriter();
        handler.Handle(System.Text.Encoding.UTF8.GetBytes(review), path, output);
        return Reviews.Parse(Reviews.Utf8(output.WrittenSpan));
    }
}
