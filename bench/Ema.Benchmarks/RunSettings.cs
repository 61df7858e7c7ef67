namespace Ema.Benchmarks;

/// <summary>How many rounds and calls the measurements use; the smoke mode cuts them to the minimum.</summary>
internal sealed record RunSettings(int WarmupRounds, int Rounds, int SwapRounds, int CallsPerSampleSmall, int AllocationCalls)
{
    public static RunSettings Full { get; } = new(WarmupRounds: 2, Rounds: 11, SwapRounds: 31, CallsPerSampleSmall: 5, AllocationCalls: 20);

    public static RunSettings Smoke { get; } = new(WarmupRounds: 1, Rounds: 2, SwapRounds: 2, CallsPerSampleSmall: 1, AllocationCalls: 2);
}
