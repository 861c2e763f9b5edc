namespace SidecarInjector.Errors;

/// <summary>Injection cannot be done for this pod; the message goes back to the user in the denial.</summary>
internal sealed class InjectionException(string message) : Exception(message);
