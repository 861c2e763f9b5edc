using Microsoft.Extensions.Primitives;
using SidecarInjector.Hosting;

namespace SidecarInjector.Tests.Hosting;

/// <summary>Accept-Encoding as RFC 9110 writes it: gzip is used only when named with a weight above zero.</summary>
public sealed class AcceptEncodingTests
{
    [Theory]
    [InlineData("gzip", true)]
    [InlineData("GZIP", true)]
    [InlineData("x-gzip", true)]
    [InlineData("deflate, gzip", true)]
    [InlineData(" br ;q=1, gzip ; q=0.5", true)]
    [InlineData("gzip;q=1.0", true)]
    [InlineData("gzip;Q=0.001", true)]
    [InlineData("gzip;level=1;q=0.2", true)]
    [InlineData("gzip;q=0", false)]
    [InlineData("gzip; q=0.000", false)]
    [InlineData("gzip;q=", false)]
    [InlineData("identity", false)]
    [InlineData("*", false)]
    [InlineData("gzipped", false)]
    [InlineData("deflate, br", false)]
    [InlineData("", false)]
    public void Gzip_is_accepted_only_when_named_with_a_weight_above_zero(string header, bool accepted)
    {
        Assert.Equal(accepted, AcceptEncoding.AllowsGzip(new StringValues(header)));
    }

    [Fact]
    public void Every_header_line_is_read()
    {
        Assert.True(AcceptEncoding.AllowsGzip(new StringValues(["identity", "gzip"])));
        Assert.False(AcceptEncoding.AllowsGzip(StringValues.Empty));
    }
}
