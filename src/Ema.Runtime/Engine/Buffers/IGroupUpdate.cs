using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// How one <see cref="TensorGroup"/> moves its EMA buffer toward the model's: chosen once when the group is made,
/// from where the EMA lives against the model (same dtype and device, another dtype, another device), so the
/// per-update path runs one method instead of testing which buffers exist.
/// </summary>
internal interface IGroupUpdate : IDisposable
{
    /// <summary>Bytes the strategy allocated beside the two flat buffers (its staging), for <see cref="TensorGroup.EmaBytes"/>.</summary>
    long StagingBytes { get; }

    /// <summary>ema = lerp(ema, model, 1 - decay) (or ema = model for a group that is copied). Must run under <c>no_grad</c>.</summary>
    void Update(double decay);

    /// <summary>
    /// The model's values in the EMA's dtype and on its device, for the BEMA correction's own passes; when
    /// <paramref name="temporary"/> is true the caller disposes the result.
    /// </summary>
    Tensor ModelAsEma(out bool temporary);
}
