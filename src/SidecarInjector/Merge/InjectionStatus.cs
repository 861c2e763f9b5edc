using System.Text;
using System.Text.Json;
using SidecarInjector.Json;
using SidecarInjector.Render;

namespace SidecarInjector.Merge;

/// <summary>
/// The <c>sidecar.istio.io/status</c> annotation: what was injected, in Istio's exact JSON shape
/// (empty lists are <c>null</c>, as Go marshals nil slices).
/// </summary>
internal static class InjectionStatus
{
    public const string AnnotationKey = "sidecar.istio.io/status";

    public static string Format(InjectedNames names, string revision)
    {
        using var buffer = new PooledBufferWriter(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteNames(writer, "initContainers"u8, names.InitContainers);
            WriteNames(writer, "containers"u8, names.Containers);
            WriteNames(writer, "volumes"u8, names.Volumes);
            WriteNames(writer, "imagePullSecrets"u8, names.ImagePullSecrets);
            writer.WriteString("revision"u8, revision);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteNames(Utf8JsonWriter writer, ReadOnlySpan<byte> property, IReadOnlyList<string> names)
    {
        if (names.Count == 0)
        {
            writer.WriteNull(property);
            return;
        }
        writer.WriteStartArray(property);
        foreach (var name in names)
        {
            writer.WriteStringValue(name);
        }
        writer.WriteEndArray();
    }
}
