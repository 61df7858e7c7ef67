using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// The 0-dim weight <c>1 - decay</c> of a <c>lerp_</c>, preallocated on the EMA's device and dtype: TorchSharp's
/// lerp_ takes its weight as a tensor, and refilling one keeps the per-update path free of allocations.
/// </summary>
internal sealed class LerpWeight(ScalarType dtype, Device device) : IDisposable
{
    private readonly Tensor _weight = zeros(Array.Empty<long>(), dtype, device);

    /// <summary>Fills the weight with <c>1 - <paramref name="decay"/></c> and returns it (owned here).</summary>
    public Tensor For(double decay)
    {
        using (Scalar oneMinusDecay = (1.0 - decay).ToScalar())
        {
            _weight.fill_(oneMinusDecay);
        }

        return _weight;
    }

    public void Dispose() => _weight.Dispose();
}
