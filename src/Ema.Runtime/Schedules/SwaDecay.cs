using System.ComponentModel.DataAnnotations;

namespace Ema;

/// <summary>
/// The <c>swa</c> schedule, stochastic weight averaging's plain running mean (PyTorch <c>AveragedModel</c>'s default,
/// Lightning's <c>WeightAveraging</c>): at steps up to <c>swa_start</c> the average follows the model (decay 0); the
/// n-th step after it (n = step - swa_start) uses the decay <c>(n - 1) / n</c>, so the average gives each model state
/// from step <c>swa_start + 1</c> on equal weight. <c>decay</c> does not cap it: a mean has no horizon.
/// </summary>
/// <remarks>
/// Averaged weights need their BatchNorm statistics recomputed (<see cref="ModelEma.RecomputeBatchNorm"/>, PyTorch's
/// <c>update_bn</c>): the mean of running statistics is not the statistics of the mean weights.
/// </remarks>
/// <param name="swaStart">The last step at which the average only copies the model; default 0 (average from step 1).</param>
[DecaySchedule("swa")]
public sealed class SwaDecay([Range(0.0, double.MaxValue)] long swaStart = 0) : IDecayFunction
{
    /// <summary>The last step at which the average only copies the model.</summary>
    public long SwaStart { get; } = swaStart;

    /// <inheritdoc/>
    public double Compute(double decay, long step, long totalSteps)
    {
        long n = step - SwaStart;
        return n <= 1 ? 0.0 : (n - 1.0) / n;
    }
}
