namespace Ema;

/// <summary>The outcome of one epoch.</summary>
/// <param name="Epoch">The epoch, counting from 1.</param>
/// <param name="TrainLoss">The mean training loss over the epoch's batches.</param>
/// <param name="RawMetric">The validation metric of the model's own (raw) weights.</param>
/// <param name="EmaMetric">The validation metric of the EMA weights, or null without EMA.</param>
/// <param name="BestMetric">The best watched metric so far, this epoch included; only finite metrics count, so NaN until the first finite one.</param>
/// <param name="IsBest">Whether this epoch set <paramref name="BestMetric"/> (never for a NaN or infinite metric).</param>
public sealed record EpochResult(int Epoch, double TrainLoss, double RawMetric, double? EmaMetric, double BestMetric, bool IsBest)
{
    /// <summary>The metric that decides the best checkpoint: the EMA's when there is one, otherwise the raw one.</summary>
    public double WatchedMetric => EmaMetric ?? RawMetric;
}
