using BenchmarkDotNet.Running;
using Pipeline.Benchmarks;

// dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*Tokenizer*'   (BenchmarkDotNet)
// dotnet run -c Release --project tests/Pipeline.Benchmarks -- tokenizer-load          (cold start, this process)
// dotnet run -c Release --project tests/Pipeline.Benchmarks -- --filter '*ShapeWorld*'  (training data batches)
if (args is ["tokenizer-load"])
{
    TokenizerLoad.Report(Console.Out);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(TokenizerBenchmark).Assembly).Run(args);
