using System.Buffers;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Moves tensor bytes between a file and tensors without a whole copy of either: reads and writes go through one
/// pooled buffer of <see cref="ChunkBytes"/> bytes, so a load needs the model plus a few MiB (no tensor is ever
/// materialized on the side) and a save of a GPU model stages one chunk at a time.
/// </summary>
internal static class TensorStreaming
{
    /// <summary>The staging size: large enough for full disk throughput, small enough not to matter for memory.</summary>
    public const int ChunkBytes = 4 << 20;

    /// <summary>
    /// Reads <paramref name="source"/>'s bytes from <paramref name="stream"/> into <paramref name="target"/> (same
    /// shape, a dtype that <see cref="StoredTensor.ConvertsTo"/> allows), converting dtype and device chunk by chunk.
    /// </summary>
    public static void ReadInto(Stream stream, StoredTensor source, Tensor target)
    {
        long count = target.numel();
        if (count == 0)
        {
            return;
        }

        if (!target.is_contiguous())
        {
            // Rare (a transposed parameter): stage the whole tensor, which the "largest tensor" memory bound allows.
            using Tensor staged = empty(source.Shape, source.Type);
            ReadInto(stream, source, staged);
            using (no_grad())
            {
                target.copy_(staged);
            }

            return;
        }

        int elementSize = (int)(source.Length / count);
        long chunkElements = Math.Max(1, ChunkBytes / elementSize);
        bool direct = target.dtype == source.Type && target.device_type == TorchSharp.DeviceType.CPU;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkBytes, Math.Max(elementSize, source.Length)));
        try
        {
            stream.Position = source.Offset;
            using Tensor flat = target.view(-1);
            using Tensor? staging = direct ? null : empty(Math.Min(chunkElements, count), source.Type);
            using (no_grad())
            {
                for (long start = 0; start < count; start += chunkElements)
                {
                    long n = Math.Min(chunkElements, count - start);
                    Span<byte> bytes = buffer.AsSpan(0, (int)(n * elementSize));
                    stream.ReadExactly(bytes);
                    using Tensor slice = flat.narrow(0, start, n);
                    if (direct)
                    {
                        slice.bytes = bytes;
                    }
                    else
                    {
                        using Tensor stage = staging!.narrow(0, 0, n);
                        stage.bytes = bytes;
                        slice.copy_(stage);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Hands a tensor's bytes (little-endian, C order) to <paramref name="sink"/>, one chunk at a time.</summary>
    /// <param name="tensor">Any tensor, on any device.</param>
    /// <param name="sink">Takes each chunk (a stream's Write, or the zip writer's, which also computes the CRC-32).</param>
    public static void Write(Tensor tensor, ByteSink sink)
    {
        long count = tensor.numel();
        if (count == 0)
        {
            return;
        }

        // A non-contiguous tensor (a transposed view) is copied once: the memory bound allows the largest tensor.
        using Tensor detached = tensor.detach();
        using Tensor contiguous = detached.contiguous();
        using Tensor flat = contiguous.view(-1);
        long chunkElements = Math.Max(1, ChunkBytes / tensor.ElementSize);
        for (long start = 0; start < count; start += chunkElements)
        {
            long n = Math.Min(chunkElements, count - start);
            using Tensor slice = flat.narrow(0, start, n);
            using Tensor cpu = slice.cpu();
            sink(cpu.bytes);
        }
    }
}

/// <summary>Takes a chunk of bytes.</summary>
internal delegate void ByteSink(ReadOnlySpan<byte> bytes);
