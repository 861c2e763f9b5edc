using System.Text;

namespace SidecarInjector.CommandLine;

internal static class HelpText
{
    private const int MinimumFlagColumn = 28;

    private static string FlagText(string flag, string? value) => value is null ? flag : flag + " " + value;

    public static string Build()
    {
        var text = new StringBuilder();
        text.AppendLine("sidecar-injector: a Kubernetes mutating admission webhook that injects a sidecar, Istio-style.");
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  sidecar-injector [serve] [flags]     serve the webhook (HTTPS) and the admin endpoints (HTTP)");
        text.AppendLine("  sidecar-injector inject -f FILE|- [--config-dir DIR | --config-file FILE] [-o FILE]");
        text.AppendLine("                                       inject the pod templates of manifests offline (kube-inject)");
        text.AppendLine("  sidecar-injector check-config (--config-dir DIR | --config-file FILE)");
        text.AppendLine("                                       load, compile and dry-run a config; print every problem (exit 1)");
        text.AppendLine("  sidecar-injector webhook-config --revision R [--tag T] [--default] --service NAMESPACE/NAME [--ca-file F]");
        text.AppendLine("                                       print the MutatingWebhookConfiguration of a revision or tag");
        text.AppendLine("  sidecar-injector check-inject [-n NAMESPACE] ([TYPE/]NAME | -f FILE | -l k=v,...) [-o json] [--kubeconfig FILE]");
        text.AppendLine("                                       why a pod is (not) injected, asked of the cluster");
        text.AppendLine("  sidecar-injector explain -f FILE [-n NS] [--namespace-labels k=v,...] [--webhook-config FILE] [-o json]");
        text.AppendLine("                                       the same answer offline");
        text.AppendLine("  sidecar-injector sample-review [--v1beta1]");
        text.AppendLine("                                       print a realistic AdmissionReview for a Pod CREATE");
        text.AppendLine("  sidecar-injector --help | --version");
        text.AppendLine();
        text.AppendLine("Flags of serve (each also read from the environment variable shown):");
        // One column for every flag's help, wide enough for the longest flag and its value, and a gap.
        int column = MinimumFlagColumn;
        foreach (var (flag, value, _) in CommandLineParser.ServeFlags)
        {
            column = Math.Max(column, FlagText(flag, value).Length + 2);
        }
        foreach (var (flag, value, help) in CommandLineParser.ServeFlags)
        {
            text.Append("  ").Append(FlagText(flag, value).PadRight(column)).Append(help).AppendLine();
            text.Append("  ").Append("".PadRight(column)).Append("env ").Append(CommandLineParser.EnvName(flag)).AppendLine();
        }
        text.AppendLine();
        text.AppendLine("Webhook (HTTPS, TLS 1.2+): POST /inject, /inject/, /inject/cluster/{cluster}/net/{network}");
        text.AppendLine("Admin (HTTP): GET /healthz, /readyz (config and certificate loaded), /metrics (Prometheus)");
        return text.ToString();
    }
}
