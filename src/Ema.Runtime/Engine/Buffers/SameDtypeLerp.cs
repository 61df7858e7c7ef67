using static TorchSharp.torch;

namespace Ema;

/// <summary>The EMA has the model's dtype and device: one <c>lerp_</c> over the whole flat buffer, nothing staged.</summary>
internal sealed class SameDtypeLerp(Tensor modelFlat, Tensor emaFlat) : IGroupUpdate
{
    private readonly LerpWeight _weight = new(emaFlat.dtype, emaFlat.device);

    public long StagingBytes => 0;

    public void Update(double decay) => emaFlat.lerp_(modelFlat, _weight.For(decay));

    public Tensor ModelAsEma(out bool temporary)
    {
        temporary = false;
        return modelFlat;
    }

    public void Dispose() => _weight.Dispose();
}
