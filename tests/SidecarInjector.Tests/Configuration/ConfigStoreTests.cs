using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarInjector.Configuration;

namespace SidecarInjector.Tests.Configuration;

/// <summary>A bad config version never replaces a good one.</summary>
public sealed class ConfigStoreTests
{
    [Theory]
    [InlineData("templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: {{ nosuch }}\n", "function \"nosuch\" not defined")]
    [InlineData("templates:\n  sidecar: |\n    spec:\n      {{ if .Values.x }}\n", "unexpected EOF")]
    [InlineData("templates:\n  sidecar: |\n    spec:\n      containers: {{ .ObjectMeta.GenerateName }}\n", "spec.containers must be a list")]
    [InlineData("policy: [", "config:2:1: ")]
    public void A_broken_template_keeps_the_previous_version_serving(string broken, string reason)
    {
        var good = "templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: p-{{ .DeploymentMeta.Name }}\n        image: x\n";
        var current = good;
        var store = new ConfigStore(() => new ConfigLoader.ConfigFiles("test", Encoding.UTF8.GetBytes(current), null), NullLogger.Instance);
        Assert.True(store.Reload());
        var served = store.Current;

        current = broken;
        Assert.False(store.Reload());
        Assert.Same(served, store.Current);
        Assert.Contains(reason, store.LastError);
    }
}
