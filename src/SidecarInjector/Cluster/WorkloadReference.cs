namespace SidecarInjector.Cluster;

/// <summary>
/// <c>[TYPE/]NAME</c> as kubectl and <c>istioctl x check-inject</c> take it: a pod by default, or a
/// workload whose pod template is what its pods are made from (deployment/web, sts/db, cronjob/report).
/// </summary>
/// <param name="ApiPrefix">Where its kind lives on the apiserver: <c>/api/v1</c>, <c>/apis/apps/v1</c>…</param>
/// <param name="Resource">The resource's plural, as the API path names it.</param>
internal sealed record WorkloadReference(string Kind, string ApiPrefix, string Resource, string Name)
{
    private static readonly (string[] Spellings, string Kind, string ApiPrefix, string Resource)[] Kinds =
    [
        (["pod", "pods", "po"], "Pod", "/api/v1", "pods"),
        (["deployment", "deployments", "deploy"], "Deployment", "/apis/apps/v1", "deployments"),
        (["statefulset", "statefulsets", "sts"], "StatefulSet", "/apis/apps/v1", "statefulsets"),
        (["daemonset", "daemonsets", "ds"], "DaemonSet", "/apis/apps/v1", "daemonsets"),
        (["replicaset", "replicasets", "rs"], "ReplicaSet", "/apis/apps/v1", "replicasets"),
        (["job", "jobs"], "Job", "/apis/batch/v1", "jobs"),
        (["cronjob", "cronjobs", "cj"], "CronJob", "/apis/batch/v1", "cronjobs"),
        (["replicationcontroller", "replicationcontrollers", "rc"], "ReplicationController", "/api/v1", "replicationcontrollers"),
        (["deploymentconfig", "deploymentconfigs", "dc"], "DeploymentConfig", "/apis/apps.openshift.io/v1", "deploymentconfigs"),
    ];

    /// <summary>The types accepted, for an error message.</summary>
    public static string KnownTypes => string.Join(", ", Array.ConvertAll(Kinds, k => k.Spellings[0]));

    public bool IsPod => Kind == "Pod";

    /// <summary>The object's path in <paramref name="ns"/>.</summary>
    public string PathIn(string ns) => $"{ApiPrefix}/namespaces/{Uri.EscapeDataString(ns)}/{Resource}/{Uri.EscapeDataString(Name)}";

    /// <summary><c>deployment/web</c>, <c>Deployment.apps/web</c> or <c>web</c> (a pod); null with <paramref name="error"/> otherwise.</summary>
    public static WorkloadReference? Parse(string text, out string? error)
    {
        error = null;
        int slash = text.IndexOf('/');
        var type = slash < 0 ? "pod" : text[..slash];
        var name = slash < 0 ? text : text[(slash + 1)..];
        if (name.Length == 0 || name.Contains('/'))
        {
            error = $"'{text}': give NAME or TYPE/NAME";
            return null;
        }
        // kubectl also takes the kind with its group (deployments.apps/web).
        int dot = type.IndexOf('.');
        var bare = (dot < 0 ? type : type[..dot]).ToLowerInvariant();
        foreach (var (spellings, kind, prefix, resource) in Kinds)
        {
            if (Array.IndexOf(spellings, bare) >= 0)
            {
                return new WorkloadReference(kind, prefix, resource, name);
            }
        }
        error = $"'{type}' is not a kind of pod or workload (give one of {KnownTypes})";
        return null;
    }
}
