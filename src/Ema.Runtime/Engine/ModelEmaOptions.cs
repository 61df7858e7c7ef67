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
}
