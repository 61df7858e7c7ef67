using System.ComponentModel.DataAnnotations;

namespace Ema;

/// <summary>
/// The <c>bema</c> schedule, bias-corrected EMA (Block &amp; Zhang 2025, "EMA Without the Lag"; TRL's
/// <c>BEMACallback</c>). With <c>t = step - update_after</c> the average moves as
/// <c>mu = (1 - b_t) mu + b_t theta_t</c>, <c>b_t = (lag + multiplier t)^-ema_power</c> (decay <c>1 - b_t</c>), and
/// what the EMA hands out is <c>mu + a_t (theta_t - theta_0)</c>, <c>a_t = (lag + multiplier t)^-bias_power</c>, with
/// <c>theta_t</c> the model at the last update and <c>theta_0</c> the model at step <c>update_after</c>. At steps up to
/// <c>update_after</c>, <c>mu</c> and <c>theta_0</c> follow the model. <c>decay</c> does not cap it.
/// </summary>
/// <remarks>
/// The correction is the engine's (<see cref="ModelEma"/>): it keeps the running average and the anchor
/// <c>theta_0</c> beside the weights it hands out, two more copies of the averaged state on the EMA's device.
/// </remarks>
/// <param name="emaPower">kappa, the exponent of the average's weight b_t; default 0.5.</param>
/// <param name="biasPower">eta, the exponent of the correction's weight a_t; default 0.2.</param>
/// <param name="lag">rho, the offset of the step count; default 10.</param>
/// <param name="multiplier">gamma, the step count's scale; default 1.</param>
/// <param name="updateAfter">tau, the step whose model is the anchor theta_0; default 0 (the model the EMA was made from).</param>
[DecaySchedule("bema")]
public sealed class BemaDecay(
    [Range(0.0, double.MaxValue, MinimumIsExclusive = true)] double emaPower = 0.5,
    [Range(0.0, double.MaxValue)] double biasPower = 0.2,
    [Range(0.0, double.MaxValue)] double lag = 10,
    [Range(0.0, double.MaxValue, MinimumIsExclusive = true)] double multiplier = 1,
    [Range(0.0, double.MaxValue)] long updateAfter = 0) : IDecayFunction, IOutputCorrection
{
    /// <summary>kappa, the exponent of the average's weight.</summary>
    public double EmaPower { get; } = emaPower;

    /// <summary>eta, the exponent of the correction's weight.</summary>
    public double BiasPower { get; } = biasPower;

    /// <summary>rho, the offset of the step count.</summary>
    public double Lag { get; } = lag;

    /// <summary>gamma, the step count's scale.</summary>
    public double Multiplier { get; } = multiplier;

    /// <summary>tau, the step whose model is the anchor.</summary>
    public long UpdateAfter { get; } = updateAfter;

    /// <inheritdoc/>
    long IOutputCorrection.AnchorStep => UpdateAfter;

    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps)
    {
        long t = step - UpdateAfter;
        if (t <= 0)
        {
            return 0.0;
        }

        // b_t above 1 (lag + multiplier t below 1) would overshoot the model: the average then copies it, as b_t = 1 does.
        double weight = Math.Pow(Lag + (Multiplier * t), -EmaPower);
        return Math.Max(0.0, 1.0 - weight);
    }

    /// <inheritdoc/>
    double IOutputCorrection.Weight(long step)
    {
        long t = step - UpdateAfter;
        return t <= 0 ? 0.0 : Math.Pow(Lag + (Multiplier * t), -BiasPower);
    }
}
