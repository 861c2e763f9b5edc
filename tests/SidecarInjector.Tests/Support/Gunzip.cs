using System.IO.Compression;

namespace SidecarInjector.Tests.Support;

/// <summary>gzip read back with .NET's zlib, which checks the trailer's CRC-32 and length.</summary>
internal static class Gunzip
{
    public static byte[] Read(byte[] compressed)
    {
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }
}
