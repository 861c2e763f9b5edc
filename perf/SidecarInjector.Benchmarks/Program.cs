using BenchmarkDotNet.Running;

namespace SidecarInjector.Benchmarks;

public static class Program
{
    // dotnet run -c Release --project perf/SidecarInjector.Benchmarks -- --filter '*'
    // For a profile of one case: -- --loop InjectManyEnv 2000, under
    // `DOTNET_PerfMapEnabled=1 perf record -g`, then `perf report`.
    public static void Main(string[] args)
    {
        if (args is ["--loop", var name, var count])
        {
            Loop(name, int.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }

    private static void Loop(string name, int count)
    {
        var benchmarks = new AdmissionBenchmarks();
        benchmarks.Setup();
        Func<int> run = name switch
        {
            nameof(AdmissionBenchmarks.InjectFresh) => benchmarks.InjectFresh,
            nameof(AdmissionBenchmarks.InjectManyEnv) => benchmarks.InjectManyEnv,
            nameof(AdmissionBenchmarks.InjectIstioTemplate) => benchmarks.InjectIstioTemplate,
            nameof(AdmissionBenchmarks.InjectMemoHit) => benchmarks.InjectMemoHit,
            _ => throw new ArgumentException("no benchmark " + name),
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            run();
        }
        Console.WriteLine($"{name}: {clock.Elapsed.TotalMilliseconds * 1000 / count:F1} µs each over {count}");
    }
}
