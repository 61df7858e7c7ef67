using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// The EMA lives on another device (a CPU EMA of a GPU model): the model's values are copied into a full-size
/// staging buffer on the EMA's device first, since lerp_ needs both operands on one device; the copy is one transfer.
/// </summary>
internal sealed class StagedLerp(Tensor modelFlat, Tensor emaFlat) : IGroupUpdate
{
    private readonly Tensor _staging = empty(modelFlat.numel(), emaFlat.dtype, emaFlat.device);
    private readonly LerpWeight _weight = new(emaFlat.dtype, emaFlat.device);

    public long StagingBytes => _staging.numel() * _staging.element_size();

    public void Update(double decay)
    {
        _staging.copy_(modelFlat);
        emaFlat.lerp_(_staging, _weight.For(decay));
    }

    public Tensor ModelAsEma(out bool temporary)
    {
        temporary = false;
        _staging.copy_(modelFlat);
        return _staging;
    }

    public void Dispose()
    {
        _staging.Dispose();
        _weight.Dispose();
    }
}
