using BenchmarkDotNet.Running;

namespace SidecarInjector.Benchmarks;

public static class Program
{
    // dotnet run -c Release --project perf/SidecarInjector.Benchmarks -- --filter '*'
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
