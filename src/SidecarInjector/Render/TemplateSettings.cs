using System.Text.Json.Nodes;
using GoTemplates;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Render;

/// <summary>
/// What a config version gives every render: the values, the mesh config and the environment, and
/// the first two as template data, converted once per version rather than once per pod (template
/// functions build new values and never change their arguments; two threads may both convert on
/// first use, and either result is the same).
/// </summary>
internal sealed class TemplateSettings(JsonObject values, JsonObject mesh, Func<string, string?> environment)
{
    private object? _templateValues;
    private object? _templateMesh;

    /// <summary>The ConfigMap's values (free form; Istio's chart values).</summary>
    public JsonObject Values { get; } = values;

    /// <summary>MeshConfig (proto-JSON): built-in defaults with the optional mesh file over them.</summary>
    public JsonObject Mesh { get; } = mesh;

    /// <summary>What the templates' env function reads.</summary>
    public Func<string, string?> Environment { get; } = environment;

    /// <summary>ENABLE_NATIVE_SIDECARS, read once per config version rather than per pod.</summary>
    public NativeSidecarMode NativeSidecarMode { get; } = NativeSidecarSetting.Mode(environment);

    /// <summary>.NativeSidecars when no node decides (<see cref="NativeSidecarNodes"/>): the setting, with "auto" on.</summary>
    public bool NativeSidecars => NativeSidecarMode != NativeSidecarMode.Disabled;

    /// <summary>.CompliancePolicy: COMPLIANCE_POLICY, read once per config version.</summary>
    public string CompliancePolicy { get; } = environment("COMPLIANCE_POLICY") ?? "";

    /// <summary><see cref="Values"/> as .Values.</summary>
    public object? TemplateValues => _templateValues ??= GoValues.FromJson(Values);

    /// <summary>
    /// .ProxyConfig of a pod without a proxy.istio.io/config annotation (most pods): the mesh's
    /// defaultConfig, converted once per config version instead of per pod.
    /// </summary>
    public object? DefaultTemplateProxyConfig =>
        _defaultProxyConfig ??= GoValues.FromStructJson(SidecarInjector.Mesh.MeshConfig.ForPod(Mesh, (string?)null), KubernetesStructs.Instance);

    private object? _defaultProxyConfig;

    /// <summary><see cref="Mesh"/> as .MeshConfig.</summary>
    public object? TemplateMesh => _templateMesh ??= GoValues.FromStructJson(Mesh, KubernetesStructs.Instance);
}
