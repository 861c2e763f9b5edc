using System.Text;
using Microsoft.AspNetCore.Http;
using SidecarInjector.Hosting;

namespace SidecarInjector.Tests.Support;

/// <summary>One POST /inject of the sample pod's review straight into a <see cref="WebhookEndpoint"/>, without a server.</summary>
internal static class EndpointCall
{
    public static async Task<(int Status, string Text)> PostSampleReview(WebhookEndpoint endpoint)
    {
        var context = new DefaultHttpContext();
        var body = Encoding.UTF8.GetBytes(Reviews.Review(Reviews.SamplePod()));
        context.Request.Method = "POST";
        context.Request.Path = "/inject";
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body);
        var response = new MemoryStream();
        context.Response.Body = response;
        await endpoint.HandleAsync(context);
        await context.Response.BodyWriter.FlushAsync();
        return (context.Response.StatusCode, Encoding.UTF8.GetString(response.ToArray()));
    }
}
