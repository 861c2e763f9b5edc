using System.Text.Json.Nodes;
using SidecarInjector.Json;

namespace SidecarInjector.Render;

/// <summary>What a template renders for a pod: the Pod fragment (shared, never to be changed), what it injects, and its parts that pods may copy without cloning.</summary>
internal readonly record struct RenderedFragment(JsonObject Fragment, InjectedNames Names, SharedFragments Shared);
