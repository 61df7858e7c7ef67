using System.ComponentModel.DataAnnotations;

namespace Ema.Config.Tests;

/// <summary>How <see cref="WarmCosineDecay"/> ramps up.</summary>
public enum WarmupShape
{
    /// <summary>Linear ramp.</summary>
    Linear,

    /// <summary>Cosine ramp.</summary>
    Cosine,
}

/// <summary>A test schedule with integer, enum and bounded parameters, registered by the generator in this build.</summary>
[DecaySchedule("warm-cosine")]
public sealed class WarmCosineDecay(
    [Range(0, int.MaxValue)] int warmupSteps = 100,
    WarmupShape shape = WarmupShape.Cosine,
    [Range(0.0, 1.0)] double floor = 0.0) : IDecayFunction
{
    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps)
    {
        if (step >= warmupSteps)
        {
            return decay;
        }

        double progress = (double)step / warmupSteps;
        double ramp = shape == WarmupShape.Linear ? progress : (1 - Math.Cos(Math.PI * progress)) / 2;
        return floor + ((decay - floor) * ramp);
    }
}

/// <summary>
/// A test schedule whose first parameter has no default: config must give <c>hold_steps</c>, while
/// <c>floor</c> may be omitted.
/// </summary>
[DecaySchedule("warm-hold")]
public sealed class WarmHoldDecay([Range(1, int.MaxValue)] int holdSteps, [Range(0.0, 1.0)] double floor = 0.5) : IDecayFunction
{
    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps) => step < holdSteps ? floor * decay : decay;
}
