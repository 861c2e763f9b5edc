namespace SidecarInjector.Tests.Support;

/// <summary>Manifests the command-line tests feed to kube-inject, explain and check-inject.</summary>
internal static class SampleManifests
{
    /// <summary>A one-container Deployment in namespace shop.</summary>
    public const string WebDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, image: nginx}]

        """;
}
