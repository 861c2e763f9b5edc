using System.Text;
using Microsoft.AspNetCore.JsonPatch;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace SidecarInjector.Tests.Support;

/// <summary>
/// Applies an RFC 6902 patch with an implementation that is not ours (Microsoft.AspNetCore.JsonPatch
/// over Newtonsoft's JObject), as the apiserver applies ours with evanphx/json-patch.
/// </summary>
internal static class IndependentJsonPatch
{
    public static string Apply(string documentJson, byte[] patchJson)
    {
        var patchText = Encoding.UTF8.GetString(patchJson);
        var patch = JsonConvert.DeserializeObject<JsonPatchDocument>(patchText)
            ?? throw new InvalidOperationException("patch did not decode");
        var target = JObject.Parse(documentJson);
        patch.ApplyTo(target);
        return target.ToString(Formatting.None);
    }

    /// <summary>True when both texts hold the same JSON value (object key order ignored).</summary>
    public static bool SameJson(string a, string b) => JToken.DeepEquals(JToken.Parse(a), JToken.Parse(b));
}
