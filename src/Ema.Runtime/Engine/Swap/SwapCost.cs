namespace Ema;

/// <summary>
/// Chooses, per group whose EMA has the model's dtype and device, the cheaper of re-pointing its tensors and
/// exchanging its values, from costs measured on CPU by bench/Ema.Benchmarks (docs/benchmarks.md, "The swap").
/// </summary>
internal static class SwapCost
{
    /// <summary>One <c>set_</c> of one tensor, one direction (a P/Invoke and a libtorch dispatch).</summary>
    internal const double RepointNanosecondsPerTensor = 200;

    /// <summary>One exchange of one byte of the group, one direction: three copies of it, the staging in cache.</summary>
    internal const double ExchangeNanosecondsPerByte = 0.05;

    /// <summary>The fixed cost of one staging chunk: three <c>copy_</c> calls.</summary>
    internal const double ExchangeNanosecondsPerChunk = 1500;

    private static readonly AsyncLocal<SwapMethod?> ForcedMethod = new();

    /// <summary>
    /// Forces the method of groups made on this flow until the returned scope ends (tests run both paths on one
    /// model with it). Ignored for groups that must copy.
    /// </summary>
    internal static IDisposable Force(SwapMethod method)
    {
        SwapMethod? previous = ForcedMethod.Value;
        ForcedMethod.Value = method;
        return new Restore(previous);
    }

    /// <summary>The cheaper method for a group of <paramref name="tensors"/> model tensor objects over <paramref name="bytes"/> bytes.</summary>
    public static SwapMethod Choose(int tensors, long bytes, long chunks)
    {
        if (ForcedMethod.Value is { } forced && forced != SwapMethod.Copy)
        {
            return forced;
        }

        double repoint = tensors * RepointNanosecondsPerTensor;
        double exchange = (bytes * ExchangeNanosecondsPerByte) + (chunks * ExchangeNanosecondsPerChunk);
        return exchange < repoint ? SwapMethod.Exchange : SwapMethod.Repoint;
    }

    private sealed class Restore(SwapMethod? previous) : IDisposable
    {
        public void Dispose() => ForcedMethod.Value = previous;
    }
}
