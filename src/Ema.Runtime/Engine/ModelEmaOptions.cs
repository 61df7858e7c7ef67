using TorchSharp;

namespace Ema;

/// <summary>Where and in which precision a <see cref="ModelEma"/> keeps its weights.</summary>
public sealed record ModelEmaOptions
{
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

    /// <summary>Receives warnings (a skipped update). Default: standard error.</summary>
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
