using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace SidecarInjector.Cluster;

/// <summary>
/// A Node as the injector reads it: its name and kubelet version, nothing else (Istio strips the rest
/// too). The full V1Node (its images, conditions, addresses) is large, and the client's model of it
/// would add its every type to the binary for one string.
/// </summary>
internal sealed class NodeKubelet : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "v1";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "Node";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("status")]
    public NodeStatusInfo? Status { get; set; }

    /// <summary>status.nodeInfo.kubeletVersion, or null.</summary>
    [JsonIgnore]
    public string? KubeletVersion => Status?.NodeInfo?.KubeletVersion;

    internal sealed class NodeStatusInfo
    {
        [JsonPropertyName("nodeInfo")]
        public NodeInfo? NodeInfo { get; set; }
    }

    internal sealed class NodeInfo
    {
        [JsonPropertyName("kubeletVersion")]
        public string? KubeletVersion { get; set; }
    }
}
