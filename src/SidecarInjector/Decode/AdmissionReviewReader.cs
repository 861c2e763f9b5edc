using System.Text.Json;
using SidecarInjector.Errors;

namespace SidecarInjector.Decode;

/// <summary>
/// Step 1: decodes the AdmissionReview envelope with <see cref="Utf8JsonReader"/>, without building
/// a tree and without touching the pod beyond finding where it is.
/// </summary>
internal static class AdmissionReviewReader
{
    internal static readonly JsonReaderOptions Options = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow };

    public static AdmissionRequest Read(ReadOnlySpan<byte> body) => Read(body, null);

    /// <summary>
    /// Reads the review; <paramref name="objectReader"/>, when given, reads <c>request.object</c> on the way
    /// (each time the field comes; the last one is the request's object).
    /// </summary>
    public static AdmissionRequest Read(ReadOnlySpan<byte> body, IObjectReader? objectReader)
    {
        CheckText(body);
        try
        {
            return ReadEnvelope(body, objectReader);
        }
        catch (JsonException e)
        {
            throw new AdmissionDecodeException("request body is not valid JSON: " + e.Message);
        }
    }

    /// <summary>
    /// The reader checks structure, not the text inside strings: bytes that are not UTF-8, or an escaped
    /// half of a surrogate pair (<c>\uD800</c>), would fail later, when the string is first read, as if
    /// that were our bug. Both are refused here, for every reader after this one: UTF-8 in one vectorised
    /// pass, and escaped strings are decoded only when the body has a surrogate escape at all (the
    /// apiserver never sends one; Go writes U+FFFD instead).
    /// </summary>
    private static void CheckText(ReadOnlySpan<byte> body)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            throw new AdmissionDecodeException("request body is not valid JSON: it is not UTF-8");
        }
        if (!HasSurrogateEscape(body))
        {
            return;
        }
        try
        {
            var reader = new Utf8JsonReader(body, Options);
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    reader.GetString();
                }
            }
        }
        catch (InvalidOperationException e)
        {
            throw new AdmissionDecodeException("request body is not valid JSON: " + e.Message);
        }
        catch (JsonException)
        {
            // Not JSON at all: the envelope's reader says where.
        }
    }

    /// <summary>Whether <c>\u</c> followed by D8–DF (either case) occurs anywhere: a possible surrogate escape.</summary>
    private static bool HasSurrogateEscape(ReadOnlySpan<byte> body)
    {
        for (int at = body.IndexOf("\\u"u8); at >= 0 && at + 3 < body.Length;)
        {
            byte high = body[at + 2], next = body[at + 3];
            if (high is (byte)'d' or (byte)'D' && next is (>= (byte)'8' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F'))
            {
                return true;
            }
            int following = body[(at + 2)..].IndexOf("\\u"u8);
            at = following < 0 ? -1 : at + 2 + following;
        }
        return false;
    }

    private static AdmissionRequest ReadEnvelope(ReadOnlySpan<byte> body, IObjectReader? objectReader)
    {
        var reader = new Utf8JsonReader(body, Options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            Throw.BadReview("request body must be a JSON AdmissionReview object");
        }
        string? apiVersion = null, kind = null;
        AdmissionRequest request = default;
        bool hasRequest = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("apiVersion"u8))
            {
                apiVersion = ReadApiVersion(ref reader);
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                kind = ReadKindName(ref reader);
            }
            else if (reader.ValueTextEquals("request"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    request = ReadRequest(ref reader, objectReader);
                    hasRequest = true;
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    Throw.BadReview("request must be an object");
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        // Reading to the end also proves the rest of the body is well-formed JSON.
        while (reader.Read())
        {
        }
        if (kind != "AdmissionReview")
        {
            Throw.BadReview($"expected kind AdmissionReview, got '{kind}'");
        }
        var version = apiVersion switch
        {
            "admission.k8s.io/v1" => ReviewVersion.V1,
            "admission.k8s.io/v1beta1" => ReviewVersion.V1Beta1,
            _ => throw new AdmissionDecodeException($"unsupported apiVersion '{apiVersion}': expected admission.k8s.io/v1 or v1beta1"),
        };
        if (!hasRequest)
        {
            Throw.BadReview("AdmissionReview has no request");
        }
        if (!request.HasUid)
        {
            Throw.BadReview("AdmissionReview request has no uid");
        }
        request.Version = version;
        return request;
    }

    private static AdmissionRequest ReadRequest(ref Utf8JsonReader reader, IObjectReader? objectReader)
    {
        var request = new AdmissionRequest { Namespace = "" };
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("uid"u8))
            {
                if (ExpectString(ref reader, "request.uid"))
                {
                    if (reader.ValueIsEscaped || reader.HasValueSequence)
                    {
                        request.EscapedUid = reader.GetString();
                    }
                    else
                    {
                        // The token starts at its opening quote.
                        request.UidStart = (int)reader.TokenStartIndex + 1;
                        request.UidLength = reader.ValueSpan.Length;
                    }
                }
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                ReadKind(ref reader, ref request);
            }
            else if (reader.ValueTextEquals("subResource"u8))
            {
                request.HasSubResource = ExpectString(ref reader, "request.subResource") && reader.ValueSpan.Length > 0;
            }
            else if (reader.ValueTextEquals("operation"u8))
            {
                request.IsCreate = ExpectString(ref reader, "request.operation") && reader.ValueTextEquals("CREATE"u8);
            }
            else if (reader.ValueTextEquals("namespace"u8))
            {
                if (ExpectString(ref reader, "request.namespace"))
                {
                    request.Namespace = reader.ValueIsEscaped || reader.HasValueSequence
                        ? reader.GetString() ?? ""
                        : NamespaceNames.Intern(reader.ValueSpan);
                }
            }
            else if (reader.ValueTextEquals("dryRun"u8))
            {
                reader.Read();
                request.DryRun = reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False or JsonTokenType.Null => false,
                    _ => throw new AdmissionDecodeException("request.dryRun must be a boolean"),
                };
            }
            else if (reader.ValueTextEquals("object"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    int start = (int)reader.TokenStartIndex;
                    if (objectReader is null)
                    {
                        reader.Skip();
                    }
                    else
                    {
                        objectReader.ReadObject(ref reader, start);
                    }
                    request.ObjectStart = start;
                    request.ObjectLength = (int)reader.BytesConsumed - start;
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    Throw.BadReview("request.object must be an object");
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return request;
    }

    private static void ReadKind(ref Utf8JsonReader reader, ref AdmissionRequest request)
    {
        bool coreGroup = true, pod = false;
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Throw.BadReview("request.kind must be an object");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("group"u8))
            {
                coreGroup = !ExpectString(ref reader, "request.kind.group") || reader.ValueSpan.Length == 0;
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                pod = ExpectString(ref reader, "request.kind.kind") && reader.ValueTextEquals("Pod"u8);
            }
            else if (reader.ValueTextEquals("version"u8))
            {
                ExpectString(ref reader, "request.kind.version");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        request.IsPod = pod && coreGroup;
    }

    /// <summary>Moves to the value; true for a string, false for null, an error for anything else.</summary>
    private static bool ExpectString(ref Utf8JsonReader reader, string field)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => true,
            JsonTokenType.Null => false,
            _ => throw new AdmissionDecodeException(field + " must be a string"),
        };
    }

    /// <summary>The review's apiVersion, without allocating for the two we serve.</summary>
    private static string? ReadApiVersion(ref Utf8JsonReader reader)
    {
        if (!ExpectString(ref reader, "apiVersion"))
        {
            return null;
        }
        return reader.ValueTextEquals("admission.k8s.io/v1"u8) ? "admission.k8s.io/v1"
            : reader.ValueTextEquals("admission.k8s.io/v1beta1"u8) ? "admission.k8s.io/v1beta1"
            : reader.GetString();
    }

    private static string? ReadKindName(ref Utf8JsonReader reader)
    {
        if (!ExpectString(ref reader, "kind"))
        {
            return null;
        }
        return reader.ValueTextEquals("AdmissionReview"u8) ? "AdmissionReview" : reader.GetString();
    }
}
