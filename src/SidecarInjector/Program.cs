using System.Diagnostics;
using SidecarInjector.CommandLine;
using SidecarInjector.Configuration;
using SidecarInjector.Hosting;

namespace SidecarInjector;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        long started = Stopwatch.GetTimestamp();
        var command = CommandLineParser.Parse(args, Environment.GetEnvironmentVariable);
        switch (command)
        {
            case Command.Help:
                Console.Out.Write(HelpText.Build());
                return 0;
            case Command.Version:
                Console.Out.WriteLine(VersionText.Build());
                return 0;
            case Command.SampleReview sample:
                Console.Out.WriteLine(SampleReview.Build(sample.V1Beta1));
                return 0;
            case Command.Inject inject:
                return InjectCommand.Run(inject.Args, Console.In, Console.Out, Console.Error);
            case Command.CheckConfig check:
                return CheckConfigCommand.Run(check.Args, Console.Out, Console.Error, Environment.GetEnvironmentVariable);
            case Command.WebhookConfig webhooks:
                return WebhookConfigCommand.Run(webhooks.Args, Console.Out, Console.Error);
            case Command.CheckInject check:
                return await CheckInjectCommand.RunAsync(check.Args, Console.In, Console.Out, Console.Error, Environment.GetEnvironmentVariable);
            case Command.Explain explain:
                return ExplainCommand.Run(explain.Args, Console.In, Console.Out, Console.Error);
            case Command.Invalid invalid:
                Console.Error.WriteLine("sidecar-injector: " + invalid.Message);
                return 2;
            case Command.Serve serve:
                NativeAllocator.ConfigureForSmallPod();
                return await WebhookServer.RunAsync(serve.Options, started);
            default:
                return 2;
        }
    }
}
