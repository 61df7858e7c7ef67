using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Exchanges the values of the model's and the EMA's flat buffers (same dtype and device) through one
/// cache-sized staging chunk: the swap of a group of many small tensors, where re-pointing each tensor with
/// <c>set_</c> costs more than moving the values. Both buffers keep their storages, so the model's tensors stay
/// the same objects and the EMA shares no memory with the model, before or after.
/// </summary>
internal sealed class ChunkedExchange(Tensor modelFlat, Tensor emaFlat) : IDisposable
{
    private readonly ChunkedPair _chunks = new(modelFlat, emaFlat);

    /// <summary>Bytes of the staging buffer.</summary>
    public long StagingBytes => _chunks.StagingBytes;

    /// <summary>model, ema = ema, model, bit for bit. Must run under <c>no_grad</c>; its own inverse.</summary>
    public void Exchange()
    {
        for (int i = 0; i < _chunks.First.Length; i++)
        {
            _chunks.Staging[i].copy_(_chunks.First[i]);
            _chunks.First[i].copy_(_chunks.Second[i]);
            _chunks.Second[i].copy_(_chunks.Staging[i]);
        }
    }

    public void Dispose() => _chunks.Dispose();
}
