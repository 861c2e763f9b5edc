using Microsoft.Extensions.Hosting;

namespace SidecarInjector.Hosting;

/// <summary>
/// Replaces the console lifetime, whose SIGTERM handler would close the listeners at once;
/// <see cref="WebhookServer.RunAsync"/> handles the signals and drains first.
/// </summary>
internal sealed class ExternallyStoppedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
