using System.ComponentModel.DataAnnotations;

namespace Ema;

/// <summary>
/// The <c>warmup</c> schedule of timm's <c>ModelEmaV3</c> and diffusers' <c>EMAModel</c>: with
/// <c>e = max(0, step - update_after_step - 1)</c>, the decay is 0 while <c>e = 0</c> (the EMA copies the model),
/// then <c>clamp(1 - (1 + e / inv_gamma)^(-power), min_decay, decay)</c>.
/// </summary>
/// <param name="invGamma">Divides the step: larger values stretch the warmup. Must be positive; default 1.</param>
/// <param name="power">The exponent of the warmup; 2/3 (the default) suits short runs, 3/4 long ones. Must be positive.</param>
/// <param name="minDecay">The smallest decay once averaging has started, in [0, 1); default 0.</param>
/// <param name="updateAfterStep">Steps during which the EMA only copies the model; default 0.</param>
[DecaySchedule("warmup")]
public sealed class WarmupDecay(
    [Range(0.0, double.MaxValue, MinimumIsExclusive = true)] double invGamma = 1.0,
    [Range(0.0, double.MaxValue, MinimumIsExclusive = true)] double power = 2.0 / 3.0,
    [Range(0.0, 1.0, MaximumIsExclusive = true)] double minDecay = 0.0,
    [Range(0.0, double.MaxValue)] long updateAfterStep = 0) : IDecayFunction
{
    /// <summary>Divides the step: larger values stretch the warmup.</summary>
    public double InvGamma { get; } = invGamma;

    /// <summary>The exponent of the warmup.</summary>
    public double Power { get; } = power;

    /// <summary>The smallest decay once averaging has started.</summary>
    public double MinDecay { get; } = minDecay;

    /// <summary>Steps during which the EMA only copies the model.</summary>
    public long UpdateAfterStep { get; } = updateAfterStep;

    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps)
    {
        // Both peers count e from the step after update_after_step + 1, and copy the model before.
        long elapsed = Math.Max(0, step - UpdateAfterStep - 1);
        if (elapsed == 0)
        {
            return 0.0;
        }

        double warm = 1.0 - Math.Pow(1.0 + elapsed / InvGamma, -Power);
        return Math.Max(Math.Min(warm, decay), MinDecay);
    }
}
