using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Property;

/// <summary>A live ModelEma with its reference and the warnings it wrote.</summary>
internal sealed class LiveEma(ModelEma ema, ReferenceEma reference, List<string> warnings, string description)
{
    public ModelEma Ema { get; } = ema;

    public ReferenceEma Reference { get; set; } = reference;

    public List<string> Warnings { get; } = warnings;

    public string Description { get; } = description;
}

/// <summary>A checkpoint the sequence wrote, and what it must hold.</summary>
internal sealed class SavedCheckpoint
{
    public required string Path { get; init; }

    /// <summary>The raw weights under <c>net</c>.</summary>
    public required ReferenceModel Raw { get; init; }

    /// <summary>The EMA's exact values as written (floating and integer), or null without EMA.</summary>
    public Dictionary<string, double[]>? EmaValues { get; init; }

    /// <summary>The EMA's reference (expected values, rounding bound, steps) when it was written, or null without EMA.</summary>
    public ReferenceEma? Reference { get; init; }
}

/// <summary>How each EMA of a sequence is made: schedule, options and swap method, all from one seed.</summary>
internal static class EmaConfigurations
{
    /// <summary>The total the schedules read; updates past it are not driven (the run is over), refused ones are.</summary>
    public const long TotalSteps = 500;

    /// <summary>What every EMA of one sequence leaves out (all EMAs of one model must leave out the same tensors), by the sequence's seed.</summary>
    public static string[]? LeftOut(int sequenceSeed) => (sequenceSeed % 4) switch
    {
        0 => ["linear.bias"],
        1 => ["bn."],
        _ => null,
    };

    public static (EmaParams Parameters, ModelEmaOptions Options, SwapMethod Swap, string Description) Make(int seed, List<string> warnings, string[]? leftOut)
    {
        var random = new Random(seed);
        EmaParams parameters = random.Next(3) switch
        {
            0 => new ConstantEmaParams(decay: Pick(random, 0.5, 0.9, 0.99)),
            1 => new ThresholdEmaParams(decay: Pick(random, 0.9, 0.999)),
            _ => new ExpEmaParams(decay: Pick(random, 0.9, 0.999), beta: Pick(random, 5, 15)),
        };
        var options = new ModelEmaOptions
        {
            FloatingDtype = random.Next(4) == 0 ? ScalarType.Float64 : null,
            UpdateEvery = random.Next(4) == 0 ? 2 : 1,
            NonFinite = (NonFinitePolicy)random.Next(3),
            Logger = new ListLogger(warnings),
            Exclude = leftOut is null ? null : EmaExclude.Names(leftOut),
        };
        SwapMethod swap = random.Next(2) == 0 ? SwapMethod.Repoint : SwapMethod.Exchange;
        string description = $"{parameters.DecayType}(decay {parameters.Decay}{(parameters is ExpEmaParams exp ? $", beta {exp.Beta}" : "")}), " +
            $"{options.FloatingDtype?.ToString() ?? "model dtype"}, every {options.UpdateEvery}, {options.NonFinite}, {swap}" +
            (leftOut is null ? "" : $", leaves out {string.Join(" ", leftOut)}");
        return (parameters, options, swap, description);
    }

    private static double Pick(Random random, params double[] values) => values[random.Next(values.Length)];
}
