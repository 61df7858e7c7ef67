using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Two flat buffers of one length cut into matching cache-sized chunks, with one chunk of staging: the shape
/// shared by <see cref="ChunkedLerp"/> and <see cref="ChunkedExchange"/>, which touch both buffers a chunk at a
/// time so the staging is still in cache when it is read back. The views are made once; no op allocates.
/// </summary>
internal sealed class ChunkedPair : IDisposable
{
    /// <summary>
    /// 256K values: 1 MiB of float32 staging, still in cache when it is read back, and large enough that each op
    /// runs on both threads. (16K-value chunks, serial in libtorch, made an exchange of 1M values 4x slower.)
    /// </summary>
    internal const long ChunkValues = 1 << 18;

    private readonly Tensor _staging;

    /// <param name="first">The first buffer (the model's); not owned.</param>
    /// <param name="second">The second buffer (the EMA's); not owned. The staging takes its dtype and device.</param>
    public ChunkedPair(Tensor first, Tensor second)
    {
        long total = first.numel();
        long chunk = Math.Max(1, Math.Min(ChunkValues, total));
        _staging = empty(chunk, second.dtype, second.device);
        int count = (int)((total + chunk - 1) / chunk);
        First = new Tensor[count];
        Second = new Tensor[count];
        Staging = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            long start = i * chunk;
            long length = Math.Min(chunk, total - start);
            First[i] = first.narrow(0, start, length);
            Second[i] = second.narrow(0, start, length);
            Staging[i] = length == chunk ? _staging : _staging.narrow(0, 0, length);
        }
    }

    /// <summary>How many chunks a buffer of <paramref name="values"/> is cut into.</summary>
    public static long Count(long values) => Math.Max(1, (values + ChunkValues - 1) / ChunkValues);

    /// <summary>The chunks of the first buffer.</summary>
    public Tensor[] First { get; }

    /// <summary>The chunks of the second buffer.</summary>
    public Tensor[] Second { get; }

    /// <summary>The staging buffer, or a shorter view of it, one per chunk.</summary>
    public Tensor[] Staging { get; }

    /// <summary>Bytes of the staging buffer.</summary>
    public long StagingBytes => _staging.numel() * _staging.element_size();

    public void Dispose()
    {
        for (int i = 0; i < First.Length; i++)
        {
            First[i].Dispose();
            Second[i].Dispose();
            if (!ReferenceEquals(Staging[i], _staging))
            {
                Staging[i].Dispose();
            }
        }

        _staging.Dispose();
    }
}
