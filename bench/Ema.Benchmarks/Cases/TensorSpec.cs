namespace Ema.Benchmarks.Cases;

/// <summary>One tensor of a benchmark model: its name, shape, whether it is floating (averaged) and whether it is a parameter.</summary>
internal sealed record TensorSpec(string Name, long[] Shape, bool IsFloating, bool IsParameter)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}
