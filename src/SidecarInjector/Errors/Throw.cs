using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SidecarInjector.Errors;

/// <summary>
/// Throw helpers for the hot path (the review reader, the merge, the pod checks), as Kestrel and
/// System.Text.Json keep them: the throw and its message building live out of line, so the methods
/// that run per review stay small and inlinable. Cold code (config loading) throws directly.
/// </summary>
internal static class Throw
{
    /// <summary>The body is not an AdmissionReview we can answer (HTTP 400).</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void BadReview(string message) => throw new AdmissionDecodeException(message);

    /// <summary>The pod cannot be injected (a denial that names why).</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void BadPod(string message) => throw new InjectionException(message);
}
