using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// <c>ema.lerp_(model, weight)</c> for an EMA whose dtype differs from the model's (a float32 EMA of a bf16
/// model), without a full-size temporary. lerp_ needs one dtype, and libtorch's mixed-dtype in-place ops
/// (<c>mul_</c> + <c>addcmul_</c>) both convert the whole model into a hidden full-size temporary and run a slow
/// per-element casting loop. Converting one cache-sized chunk at a time into a small preallocated staging buffer
/// keeps every op on libtorch's vectorized same-dtype kernels and the extra memory at one chunk.
/// </summary>
internal sealed class ChunkedLerp(Tensor modelFlat, Tensor emaFlat) : IGroupUpdate
{
    private readonly ChunkedPair _chunks = new(modelFlat, emaFlat);
    private readonly LerpWeight _weight = new(emaFlat.dtype, emaFlat.device);

    /// <summary>Bytes of the staging buffer.</summary>
    public long StagingBytes => _chunks.StagingBytes;

    /// <summary>ema = lerp(ema, model, 1 - decay), chunk by chunk. Must run under <c>no_grad</c>.</summary>
    public void Update(double decay)
    {
        Tensor weight = _weight.For(decay);
        for (int i = 0; i < _chunks.First.Length; i++)
        {
            _chunks.Staging[i].copy_(_chunks.First[i]);
            _chunks.Second[i].lerp_(_chunks.Staging[i], weight);
        }
    }

    /// <summary>The correction's passes run on whole buffers: the model converted once, a full-size temporary.</summary>
    public Tensor ModelAsEma(out bool temporary)
    {
        temporary = true;
        return modelFlat.to(emaFlat.dtype);
    }

    public void Dispose()
    {
        _chunks.Dispose();
        _weight.Dispose();
    }
}
