using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// The trainer's code-only options (what is not in <see cref="TrainingParams"/>; the EMA's options, code-only ones
/// included, are <see cref="TrainingParams.EmaOptions"/>).
/// </summary>
public sealed record TrainerOptions
{
    private readonly long? _batchesPerEpoch;

    /// <summary>Where to write <c>ckpt_latest</c> and <c>ckpt_best</c> (in <see cref="TrainingParams.CheckpointFormat"/>), or null for no checkpoints.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Resume from <c>ckpt_latest.safetensors</c> in <see cref="CheckpointDirectory"/> (model, EMA, optimizer, epoch).</summary>
    public bool Resume { get; init; }

    /// <summary>
    /// The validation metric of one batch from (model output, target), averaged over the validation batches; null
    /// for the validation loss (the training loss function on validation data).
    /// </summary>
    public Func<Tensor, Tensor, double>? ValidationMetric { get; init; }

    /// <summary>Whether a greater metric is better (accuracy) rather than a lower one (loss, the default).</summary>
    public bool GreaterIsBetter { get; init; }

    /// <summary>The device to train on: the model is moved there before the optimizer and the EMA are made, and each batch is moved there. Null: where the model is.</summary>
    public Device? Device { get; init; }

    /// <summary>
    /// The training batches per epoch, for training data that is a lazy sequence (not a collection): the EMA's total
    /// steps are needed before the first batch, and the data is not enumerated an extra time to count it. Null: the
    /// collection's count. Every epoch must give this many batches.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public long? BatchesPerEpoch
    {
        get => _batchesPerEpoch;
        init => _batchesPerEpoch = value is null or >= 1 ? value : throw ConfigErrors.ArgumentOutOfRange(
            nameof(BatchesPerEpoch), $"TrainerOptions.BatchesPerEpoch = {ConfigErrors.Format(value.Value)} is outside the allowed range: at least 1, or null for the training collection's count.");
    }

    /// <summary>Listeners called after the trainer's own EMA and checkpoint callbacks, in order.</summary>
    public IReadOnlyList<ITrainingListener> Listeners { get; init; } = [];
}
