using System.Text.Json.Serialization;
using k8s.Models;

namespace SidecarInjector.Cluster;

/// <summary>
/// The client's models the cluster features read and write, serialised by source generation of our
/// own: the client's KubernetesJson roots a context of every Kubernetes type, ~16 MB of native code
/// for the few used here.
/// </summary>
[JsonSerializable(typeof(V1Namespace))]
[JsonSerializable(typeof(NodeKubelet))]
[JsonSerializable(typeof(V1MutatingWebhookConfiguration))]
[JsonSerializable(typeof(V1MutatingWebhookConfigurationList))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ClusterJson : JsonSerializerContext;
