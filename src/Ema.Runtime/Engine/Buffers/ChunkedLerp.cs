using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// <c>ema.lerp_(model, weight)</c> for an EMA whose dtype differs from the model's (a float32 EMA of a bf16
/// model), without a full-size temporary. lerp_ needs one dtype, and libtorch's mixed-dtype in-place ops
/// (<c>mul_</c> + <c>addcmul_</c>) both convert the whole model into a hidden full-size temporary and run a slow
/// per-element casting loop. Converting one cache-sized chunk at a time into a small preallocated staging buffer
/// keeps every op on libtorch's vectorized same-dtype kernels and the extra memory at one chunk.
/// </summary>
internal sealed class ChunkedLerp(Tensor modelFlat, Tensor emaFlat) : IDisposable
{
    private readonly ChunkedPair _chunks = new(modelFlat, emaFlat);

    /// <summary>Bytes of the staging buffer.</summary>
    public long StagingBytes => _chunks.StagingBytes;

    /// <summary>ema = lerp(ema, model, weight), chunk by chunk. Must run under <c>no_grad</c>.</summary>
    public void Lerp(Tensor weight)
    {
        for (int i = 0; i < _chunks.First.Length; i++)
        {
            _chunks.Staging[i].copy_(_chunks.First[i]);
            _chunks.Second[i].lerp_(_chunks.Staging[i], weight);
        }
    }

    public void Dispose() => _chunks.Dispose();
}
