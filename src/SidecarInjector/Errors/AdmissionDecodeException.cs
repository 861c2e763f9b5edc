namespace SidecarInjector.Errors;

/// <summary>The body is not a usable AdmissionReview: answered with HTTP 400 and this message.</summary>
internal sealed class AdmissionDecodeException(string message) : Exception(message);
