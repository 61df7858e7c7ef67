namespace Ema;

/// <summary>
/// Writes checkpoints at each epoch end, as SuperGradients does: <see cref="Checkpoint.LatestFileName"/> every
/// epoch and <see cref="Checkpoint.BestFileName"/> when the watched metric improved. It runs after validation
/// has swapped the EMA out again, so <c>net</c> holds the raw weights.
/// </summary>
/// <param name="directory">The directory of the checkpoints; created if missing.</param>
/// <param name="format">The file format (and so the file names) of the checkpoints.</param>
public sealed class CheckpointCallback(string directory, CheckpointFormat format = CheckpointFormat.Safetensors) : TrainingListener
{
    /// <summary>The file format of the checkpoints.</summary>
    public CheckpointFormat Format { get; } = format;

    /// <summary>The directory of the checkpoints.</summary>
    public string Directory { get; } = directory ?? throw new ArgumentNullException(nameof(directory));

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochResult result)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(result);
        // No finite metric yet (NaN from the first epochs): no best to record.
        double? best = double.IsFinite(result.BestMetric) ? result.BestMetric : null;
        Checkpoint.Save(Path.Combine(Directory, Checkpoint.LatestFileNameOf(Format)), context.Model, context.Ema, context.Optimizer,
            result.Epoch, context.GlobalStep, best);
        if (result.IsBest)
        {
            Checkpoint.Save(Path.Combine(Directory, Checkpoint.BestFileNameOf(Format)), context.Model, context.Ema, context.Optimizer,
                result.Epoch, context.GlobalStep, best);
        }
    }
}
