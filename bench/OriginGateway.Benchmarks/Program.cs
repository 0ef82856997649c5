using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(OriginGateway.Benchmarks.RuleMatchingBenchmarks).Assembly).Run(args);
