namespace Ema.Benchmarks.CompileCost;

internal static class CompileCostRunner
{
    public static int Run(string[] args)
    {
        _ = args;
        Console.Error.WriteLine("--compile-cost: not yet");
        return 2;
    }
}
