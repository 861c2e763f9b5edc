using System.Text.Json.Serialization;

namespace SidecarInjector.Explain;

/// <summary><c>-o json</c> of check-inject and explain: one object per pod, or a list when a manifest has several.</summary>
[JsonSerializable(typeof(InjectionExplanation))]
[JsonSerializable(typeof(List<InjectionExplanation>))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
internal sealed partial class ExplainJson : JsonSerializerContext;
