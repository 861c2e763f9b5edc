using System.Text.Json;

namespace SidecarInjector.Admission;

/// <summary>
/// Step 1: decodes the AdmissionReview envelope with <see cref="Utf8JsonReader"/>, without building
/// a tree and without touching the pod beyond finding where it is.
/// </summary>
internal static class AdmissionReviewReader
{
    internal static readonly JsonReaderOptions Options = new() { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow };

    public static AdmissionRequest Read(ReadOnlySpan<byte> body)
    {
        try
        {
            return ReadEnvelope(body);
        }
        catch (JsonException e)
        {
            throw new AdmissionDecodeException("request body is not valid JSON: " + e.Message);
        }
    }

    private static AdmissionRequest ReadEnvelope(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, Options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new AdmissionDecodeException("request body must be a JSON AdmissionReview object");
        }
        string? apiVersion = null, kind = null;
        AdmissionRequest? request = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("apiVersion"u8))
            {
                apiVersion = ReadString(ref reader, "apiVersion");
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                kind = ReadString(ref reader, "kind");
            }
            else if (reader.ValueTextEquals("request"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    request = ReadRequest(ref reader);
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    throw new AdmissionDecodeException("request must be an object");
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
            throw new AdmissionDecodeException($"expected kind AdmissionReview, got '{kind}'");
        }
        var version = apiVersion switch
        {
            "admission.k8s.io/v1" => ReviewVersion.V1,
            "admission.k8s.io/v1beta1" => ReviewVersion.V1Beta1,
            _ => throw new AdmissionDecodeException($"unsupported apiVersion '{apiVersion}': expected admission.k8s.io/v1 or v1beta1"),
        };
        if (request is null)
        {
            throw new AdmissionDecodeException("AdmissionReview has no request");
        }
        if (request.Uid.Length == 0)
        {
            throw new AdmissionDecodeException("AdmissionReview request has no uid");
        }
        request.Version = version;
        return request;
    }

    private static AdmissionRequest ReadRequest(ref Utf8JsonReader reader)
    {
        var request = new AdmissionRequest();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("uid"u8))
            {
                request.Uid = ReadString(ref reader, "request.uid") ?? "";
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                ReadKind(ref reader, request);
            }
            else if (reader.ValueTextEquals("subResource"u8))
            {
                request.SubResource = ReadString(ref reader, "request.subResource") ?? "";
            }
            else if (reader.ValueTextEquals("operation"u8))
            {
                request.Operation = ReadString(ref reader, "request.operation") ?? "";
            }
            else if (reader.ValueTextEquals("namespace"u8))
            {
                request.Namespace = ReadString(ref reader, "request.namespace") ?? "";
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
                    reader.Skip();
                    request.ObjectStart = start;
                    request.ObjectLength = (int)reader.BytesConsumed - start;
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    throw new AdmissionDecodeException("request.object must be an object");
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

    private static void ReadKind(ref Utf8JsonReader reader, AdmissionRequest request)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new AdmissionDecodeException("request.kind must be an object");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("group"u8))
            {
                request.KindGroup = ReadString(ref reader, "request.kind.group") ?? "";
            }
            else if (reader.ValueTextEquals("version"u8))
            {
                request.KindVersion = ReadString(ref reader, "request.kind.version") ?? "";
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                request.Kind = ReadString(ref reader, "request.kind.kind") ?? "";
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static string? ReadString(ref Utf8JsonReader reader, string field)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new AdmissionDecodeException(field + " must be a string"),
        };
    }
}
