using static TorchSharp.torch;

namespace Ema;

/// <summary>An integer or bool group (step counters, masks): averaging means nothing there, the EMA copies the model.</summary>
internal sealed class CopyUpdate(Tensor modelFlat, Tensor emaFlat) : IGroupUpdate
{
    public long StagingBytes => 0;

    public void Update(double decay) => emaFlat.copy_(modelFlat);

    public Tensor ModelAsEma(out bool temporary)
    {
        temporary = false;
        return modelFlat;
    }

    public void Dispose()
    {
    }
}
