using System.Text.Json;

namespace SidecarInjector.Decode;

/// <summary>
/// Reads <c>request.object</c> during the review's own pass (<see cref="AdmissionReviewReader.Read(ReadOnlySpan{byte}, IObjectReader?)"/>),
/// so that what must read the whole pod on every review (the memo's key) does not pass over its bytes again.
/// </summary>
internal interface IObjectReader
{
    /// <summary>
    /// Called with the reader on the object's StartObject (<paramref name="objectStart"/> is its offset in
    /// the body); must leave it on the matching EndObject. A <see cref="JsonException"/> is the body's error.
    /// </summary>
    void ReadObject(ref Utf8JsonReader reader, int objectStart);
}
