using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// <c>ema.lerp_(model, weight)</c> for an EMA whose dtype differs from the model's (a float32 EMA of a bf16
/// model), without a full-size temporary. lerp_ needs one dtype, and libtorch's mixed-dtype in-place ops
/// (<c>mul_</c> + <c>addcmul_</c>) both convert the whole model into a hidden full-size temporary and run a slow
/// per-element casting loop. Converting one cache-sized chunk at a time into a small preallocated staging buffer
/// keeps every op on libtorch's vectorized same-dtype kernels and the extra memory at one chunk.
/// </summary>
internal sealed class ChunkedLerp : IDisposable
{
    /// <summary>256K values: 1 MiB of float32 staging, still in cache when the lerp_ reads what the copy_ wrote.</summary>
    internal const long ChunkValues = 1 << 18;

    private readonly Tensor _staging;
    private readonly Tensor[] _modelChunks;
    private readonly Tensor[] _emaChunks;
    private readonly Tensor[] _stagingChunks; // _staging itself, or a shorter view of it for the last chunk

    public ChunkedLerp(Tensor modelFlat, Tensor emaFlat)
    {
        long total = modelFlat.numel();
        long chunk = Math.Min(ChunkValues, total);
        _staging = empty(chunk, emaFlat.dtype, emaFlat.device);
        int count = (int)((total + chunk - 1) / chunk);
        _modelChunks = new Tensor[count];
        _emaChunks = new Tensor[count];
        _stagingChunks = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            long start = i * chunk;
            long length = Math.Min(chunk, total - start);
            _modelChunks[i] = modelFlat.narrow(0, start, length);
            _emaChunks[i] = emaFlat.narrow(0, start, length);
            _stagingChunks[i] = length == chunk ? _staging : _staging.narrow(0, 0, length);
        }
    }

    /// <summary>Bytes of the staging buffer.</summary>
    public long StagingBytes => _staging.numel() * _staging.element_size();

    /// <summary>ema = lerp(ema, model, weight), chunk by chunk. Must run under <c>no_grad</c>.</summary>
    public void Lerp(Tensor weight)
    {
        for (int i = 0; i < _emaChunks.Length; i++)
        {
            _stagingChunks[i].copy_(_modelChunks[i]);
            _emaChunks[i].lerp_(_stagingChunks[i], weight);
        }
    }

    public void Dispose()
    {
        for (int i = 0; i < _emaChunks.Length; i++)
        {
            _modelChunks[i].Dispose();
            _emaChunks[i].Dispose();
            if (!ReferenceEquals(_stagingChunks[i], _staging))
            {
                _stagingChunks[i].Dispose();
            }
        }

        _staging.Dispose();
    }
}
