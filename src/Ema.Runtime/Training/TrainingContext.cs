using TorchSharp;

namespace Ema;

/// <summary>
/// The state of a training run that listeners see. The <see cref="Trainer"/> keeps it current; a hand-written
/// loop sets <see cref="Epoch"/> and <see cref="GlobalStep"/> itself before raising the events.
/// </summary>
/// <param name="model">The module being trained (the student in knowledge distillation).</param>
/// <param name="optimizer">The optimizer of <paramref name="model"/>'s parameters.</param>
/// <param name="trainingParams">The training parameters.</param>
/// <param name="batchesPerEpoch">Training batches per epoch.</param>
public sealed class TrainingContext(torch.nn.Module model, torch.optim.Optimizer optimizer, TrainingParams trainingParams, long batchesPerEpoch)
{
    /// <summary>The module being trained, averaged and checkpointed (the student in knowledge distillation).</summary>
    public torch.nn.Module Model { get; } = model ?? throw new ArgumentNullException(nameof(model));

    /// <summary>The optimizer.</summary>
    public torch.optim.Optimizer Optimizer { get; } = optimizer ?? throw new ArgumentNullException(nameof(optimizer));

    /// <summary>The training parameters.</summary>
    public TrainingParams Params { get; } = trainingParams ?? throw new ArgumentNullException(nameof(trainingParams));

    /// <summary>Training batches per epoch.</summary>
    public long BatchesPerEpoch { get; } = batchesPerEpoch > 0 ? batchesPerEpoch : throw ConfigErrors.ArgumentOutOfRange(nameof(batchesPerEpoch), $"batchesPerEpoch = {ConfigErrors.Format(batchesPerEpoch)}: an epoch needs at least one batch.");

    /// <summary>The EMA's total steps: batches per epoch x <c>max_epochs</c>.</summary>
    public long TotalSteps => BatchesPerEpoch * Params.MaxEpochs;

    /// <summary>The current epoch, counting from 1.</summary>
    public int Epoch { get; set; }

    /// <summary>Training batches done so far; at an optimizer step, the global index (from 1) of its last batch.</summary>
    public long GlobalStep { get; set; }

    /// <summary>The EMA, once an <see cref="EmaCallback"/> has made it at training start; null without EMA.</summary>
    public ModelEma? Ema { get; internal set; }
}
