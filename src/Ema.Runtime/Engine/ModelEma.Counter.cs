using System.Globalization;

namespace Ema;

/// <summary><see cref="Update()"/> without arguments: the step from an internal counter (timm's <c>update(model)</c>).</summary>
public sealed partial class ModelEma
{
    /// <summary>
    /// Updates the EMA after the next optimizer step: the step after the last one <see cref="Update(long, long)"/> saw
    /// (or the step restored by <see cref="Load(IReadOnlyDictionary{string, TorchSharp.torch.Tensor}, long)"/> or
    /// <c>Checkpoint.Resume</c>), so 1 for a new EMA. Counts every call, also those that
    /// <see cref="ModelEmaOptions.UpdateEvery"/> skips. The total is <see cref="ModelEmaOptions.TotalSteps"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The schedule reads the total number of steps (<c>exp</c>, <c>cosine</c>) and <see cref="ModelEmaOptions.TotalSteps"/> is not set;
    /// or any reason <see cref="Update(long, long)"/> gives.
    /// </exception>
    public void Update()
    {
        long step = checked(_lastStep + 1);
        Update(step, Options.TotalSteps ?? TotalForUncountedRun(step));
    }

    /// <summary>The step the next <see cref="Update()"/> uses.</summary>
    public long NextStep => _lastStep + 1;

    /// <summary>
    /// The total to pass when none is known: any, for a schedule that does not read it (<see cref="StepRule.ReadsTotal"/>,
    /// the one rule that also decides whether a step past the total is an error).
    /// </summary>
    private long TotalForUncountedRun(long step) => _totalReader is null
        ? long.MaxValue
        : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
            $"ModelEma.Update() was called without a total, but the '{_totalReader}' schedule reads the total number of steps " +
            $"(its decay at step {step} depends on it): set ModelEmaOptions.TotalSteps, or call Update(step, totalSteps)."));
}
