namespace SidecarInjector.Hosting;

/// <summary>
/// Set once shutdown begins. From then on the pod is not ready (the Service stops sending it new
/// connections) and every webhook answer carries <c>Connection: close</c>: the apiserver keeps its
/// keep-alive connections to a webhook for minutes, so without this they would stay on this pod
/// until the listener closes under them, and a review sent at that moment would fail. Closed after
/// an answer, the apiserver's next review opens a new connection, which the Service sends to a
/// replica that is staying.
/// </summary>
internal sealed class DrainState
{
    private volatile bool _draining;

    public bool Draining => _draining;

    public void Begin() => _draining = true;
}
