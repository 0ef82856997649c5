using BenchmarkDotNet.Running;
using OriginGateway.Benchmarks;

if (args is ["index-memory", ..])
{
    return await IndexMemoryProbe.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000);
}
BenchmarkSwitcher.FromAssembly(typeof(RuleMatchingBenchmarks).Assembly).Run(args);
return 0;
