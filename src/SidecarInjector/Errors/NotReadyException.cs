namespace SidecarInjector.Errors;

/// <summary>No valid config has loaded yet: the webhook answers 503 so failurePolicy decides.</summary>
internal sealed class NotReadyException() : Exception("the injector has no valid config loaded yet");
