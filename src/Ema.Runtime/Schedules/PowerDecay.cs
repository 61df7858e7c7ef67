using System.ComponentModel.DataAnnotations;

namespace Ema;

/// <summary>
/// The <c>power</c> schedule, EDM2's power-function EMA (Karras et al. 2024): <c>(1 - 1/step)^(gamma + 1)</c>,
/// 0 at step 1, whose averaging profile has a relative standard deviation <c>sigma_rel</c> of the training time at
/// every step. <c>decay</c> does not cap it: the profile has no maximum, it keeps lengthening with training.
/// </summary>
/// <param name="sigmaRel">
/// The profile's width relative to the training time, in (0, 1/sqrt(12)) so that gamma is positive; EDM2 keeps
/// 0.05 and 0.10. Default 0.05.
/// </param>
[DecaySchedule("power")]
public sealed class PowerDecay(
    [Range(0.0, PowerProfile.MaxSigmaRel, MinimumIsExclusive = true, MaximumIsExclusive = true)] double sigmaRel = 0.05) : IDecayFunction
{
    /// <summary>The profile's width relative to the training time.</summary>
    public double SigmaRel { get; } = sigmaRel;

    /// <summary>The profile's exponent gamma, from <see cref="SigmaRel"/>.</summary>
    public double Gamma { get; } = PowerProfile.GammaOf(sigmaRel);

    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps) => PowerProfile.Decay(Gamma, step);
}
