using TorchSharp;

namespace Ema;

/// <summary>Where and in which precision a <see cref="ModelEma"/> keeps its weights.</summary>
public sealed record ModelEmaOptions
{
    private readonly int _updateEvery = 1;

    /// <summary>
    /// The dtype of the EMA's floating-point weights, or null for the model's own. Set <see cref="torch.ScalarType.Float32"/>
    /// for a bf16 or fp16 model: increments below the model's precision then still move the EMA.
    /// </summary>
    public torch.ScalarType? FloatingDtype { get; init; }

    /// <summary>The device that holds the EMA's weights, or null for the model's own (for example the CPU for a large GPU model).</summary>
    public torch.Device? Device { get; init; }

    /// <summary>
    /// What <see cref="ModelEma.Update"/> does when the model's floating-point weights hold NaN or infinity.
    /// Default: <see cref="NonFinitePolicy.Skip"/>, so one bad step cannot poison the average. The check reads the
    /// model once more: 16 bytes per float32 value instead of the update's 12, so at least 1.33x the time of the
    /// update alone (measured ranges in docs/benchmarks.md); <see cref="NonFinitePolicy.Ignore"/> saves it.
    /// </summary>
    public NonFinitePolicy NonFinite { get; init; } = NonFinitePolicy.Skip;

    /// <summary>
    /// Which state-dict tensors to leave out of the EMA, by name and tensor, or null to average all. A left-out tensor
    /// is not copied: the EMA uses the model's own tensor for it (checkpoints write the model's value as its
    /// <c>ema_net</c> entry; a twin views it). Presets: <see cref="EmaExclude.FrozenParameters"/>, <see cref="EmaExclude.Names"/>.
    /// </summary>
    public Func<string, torch.Tensor, bool>? Exclude { get; init; }

    /// <summary>
    /// Update the EMA on every k-th optimizer step only (default 1: every step). <see cref="ModelEma.Update"/> is
    /// still called every step; it returns at once unless the step is a multiple of k, and then uses the decay
    /// <c>d(step)^k</c>, so that k steps of a model that did not move give exactly what k single updates give
    /// (training_params key <c>ema_update_every</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int UpdateEvery
    {
        get => _updateEvery;
        init => _updateEvery = value >= 1 ? value : throw ConfigErrors.ArgumentOutOfRange(
            nameof(UpdateEvery), $"ModelEmaOptions.UpdateEvery = {ConfigErrors.Format(value)} is outside the allowed range: it must be at least 1 (1 updates on every step).");
    }

    /// <summary>Receives warnings (a skipped update, a left-out frozen parameter that trains). Default: standard error.</summary>
    public Action<string>? Warning { get; init; }
}

/// <summary>What an EMA update does when the model's weights are not finite.</summary>
public enum NonFinitePolicy
{
    /// <summary>Skip the update with a warning; the EMA keeps its last finite weights.</summary>
    Skip,

    /// <summary>Throw <see cref="NonFiniteWeightsException"/>; the EMA keeps its last finite weights.</summary>
    Throw,

    /// <summary>Do not check (saves one read of the model per update); NaN and infinity flow into the EMA.</summary>
    Ignore,
}
