namespace Ema;

/// <summary>
/// Training parameters in SuperGradients' shape: <c>{"max_epochs": 10, "ema": true, "ema_params": {...}}</c>.
/// Build them in code or load them with <see cref="FromJson(string, Microsoft.Extensions.Logging.ILogger?)"/>, <see cref="FromFile"/> or
/// <see cref="FromConfiguration"/>. Values are validated when set.
/// </summary>
public sealed partial record TrainingParams
{
    private readonly int _maxEpochs = 1;
    private readonly int _batchAccumulate = 1;
    private readonly double _initialLr = 0.01;
    private readonly int _emaUpdateEvery = 1;
    private readonly EmaParams _emaParams = new ExpEmaParams();

    /// <summary><c>max_epochs</c>: how many epochs to train; at least 1. Default 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxEpochs
    {
        get => _maxEpochs;
        init => _maxEpochs = value >= 1 ? value : throw OutOfRange(nameof(MaxEpochs), "max_epochs", value, "at least 1");
    }

    /// <summary><c>batch_accumulate</c>: batches per optimizer step; at least 1. Default 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int BatchAccumulate
    {
        get => _batchAccumulate;
        init => _batchAccumulate = value >= 1 ? value : throw OutOfRange(nameof(BatchAccumulate), "batch_accumulate", value, "at least 1");
    }

    /// <summary><c>initial_lr</c>: the optimizer's learning rate when the trainer makes the optimizer; positive and finite. Default 0.01.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public double InitialLr
    {
        get => _initialLr;
        init => _initialLr = value > 0 && double.IsFinite(value) ? value : throw OutOfRange(nameof(InitialLr), "initial_lr", value, "a finite number > 0");
    }

    /// <summary><c>ema</c>: whether to keep an EMA of the model's weights. Default false.</summary>
    public bool Ema { get; init; }

    /// <summary>
    /// <c>ema_update_every</c>: update the EMA on every k-th optimizer step, with the decay <c>d(step)^k</c>
    /// (<see cref="ModelEmaOptions.UpdateEvery"/>); at least 1. Default 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int EmaUpdateEvery
    {
        get => _emaUpdateEvery;
        init => _emaUpdateEvery = value >= 1 ? value : throw OutOfRange(nameof(EmaUpdateEvery), "ema_update_every", value, "at least 1");
    }

    /// <summary>
    /// <c>checkpoint_format</c>: <c>"safetensors"</c> (the default: <c>ckpt_latest.safetensors</c>, <c>ckpt_best.safetensors</c>)
    /// or <c>"pth"</c>, PyTorch's format as SuperGradients writes it (<c>ckpt_latest.pth</c>, <c>ckpt_best.pth</c>).
    /// </summary>
    public CheckpointFormat CheckpointFormat { get; init; }

    /// <summary><c>ema_params</c>: the EMA's decay and schedule. Default: <c>exp</c>, decay 0.9999, beta 15.</summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public EmaParams EmaParams
    {
        get => _emaParams;
        init => _emaParams = value ?? throw new ArgumentNullException(nameof(EmaParams));
    }

    private static KeyedOutOfRangeException OutOfRange(string property, string key, double value, string allowed) =>
        new(property, key, ConfigErrors.Format(value), $"{key} must be {allowed}");
}
