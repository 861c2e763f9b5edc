using System.Text.Json.Nodes;
using SidecarInjector.Json;

namespace SidecarInjector.Merge;

/// <summary>
/// Istio's reorderPod: the proxy goes last among containers (so kubectl defaults to the app),
/// or first when holdApplicationUntilProxyStarts; init containers are ordered so iptables setup
/// cannot blackhole the pod's own init containers.
/// </summary>
internal static class ContainerOrder
{
    private const string InitName = "istio-init";
    private const string ValidationName = "istio-validation";
    private const string CoreDumpName = "enable-core-dump";

    public static void Apply(JsonObject pod, bool holdApplicationUntilProxyStarts)
    {
        if (pod["spec"] is not JsonObject spec)
        {
            return;
        }
        if (spec["containers"] is JsonArray containers)
        {
            Move(containers, ProxyEnvironment.ProxyContainerName, first: holdApplicationUntilProxyStarts);
        }
        if (spec["initContainers"] is not JsonArray init)
        {
            return;
        }
        if (IndexOf(init, ProxyEnvironment.ProxyContainerName) >= 0)
        {
            // Native sidecar: {istio-init | istio-validation} → istio-proxy → enable-core-dump → the rest.
            Move(init, CoreDumpName, first: true);
            Move(init, ProxyEnvironment.ProxyContainerName, first: true);
            Move(init, ValidationName, first: true);
            Move(init, InitName, first: true);
        }
        else
        {
            // istio-validation → the rest → istio-init → enable-core-dump.
            Move(init, ValidationName, first: true);
            Move(init, InitName, first: false);
            Move(init, CoreDumpName, first: false);
        }
    }

    private static void Move(JsonArray list, string name, bool first)
    {
        int index = IndexOf(list, name);
        if (index < 0)
        {
            return;
        }
        var item = list[index];
        list.RemoveAt(index);
        if (first)
        {
            list.Insert(0, item);
        }
        else
        {
            list.Add(item);
        }
    }

    private static int IndexOf(JsonArray list, string name) => NamedItems.IndexOf(list, name);
}
