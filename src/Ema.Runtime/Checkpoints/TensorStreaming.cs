using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Moves tensor bytes between a file and tensors without a whole copy of either: a load reads straight into the
/// target's memory (or, to convert dtype or device, through one staging tensor of <see cref="ChunkBytes"/>), so it
/// needs the model plus a few MiB; a save hands out the tensor's own memory chunk by chunk (a GPU tensor is copied
/// to the CPU one chunk at a time).
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
        stream.Position = source.Offset;
        using Tensor flat = target.view(-1);
        if (target.dtype == source.Type && target.device_type == TorchSharp.DeviceType.CPU)
        {
            // Straight from the file into the tensor's memory (its bytes span is live): one copy, like a plain read.
            long directElements = (1L << 30) / elementSize;
            for (long start = 0; start < count; start += directElements)
            {
                using Tensor slice = flat.narrow(0, start, Math.Min(directElements, count - start));
                stream.ReadExactly(slice.bytes);
            }

            return;
        }

        // Another dtype or device: through one staging tensor of the file's dtype, a chunk at a time.
        using (no_grad())
        {
            ForEachChunk(stream, source, count, (start, stage) =>
            {
                using Tensor slice = flat.narrow(0, start, stage.shape[0]);
                slice.copy_(stage);
            });
        }
    }

    /// <summary>
    /// The largest finite magnitude among <paramref name="source"/>'s values that exceeds <paramref name="limit"/>
    /// (a value a narrower dtype would turn into infinity), or null when there is none. Reads the tensor's bytes
    /// through one staging tensor of <see cref="ChunkBytes"/> (and the chunk's temporaries), never the whole tensor.
    /// </summary>
    public static double? LargestBeyond(Stream stream, StoredTensor source, double limit)
    {
        long count = source.Shape.Aggregate(1L, (a, b) => a * b);
        if (count == 0 || !FloatingDtypes.Contains(source.Type))
        {
            return null;
        }

        using var scope = NewDisposeScope();
        double? largest = null;
        ForEachChunk(stream, source, count, (_, stage) =>
        {
            using Tensor magnitude = stage.abs().to(ScalarType.Float64);
            // NaN and infinity in the file are the file's own values (docs/reliability.md, Limits); only a finite
            // value the conversion would make infinite is the loader's doing.
            using Tensor finite = magnitude.nan_to_num(0.0, 0.0, 0.0);
            double max = finite.max().item<double>();
            if (max > limit && (largest is null || max > largest))
            {
                largest = max;
            }
        });

        return largest;
    }

    /// <summary>
    /// Reads <paramref name="source"/>'s <paramref name="count"/> values from <paramref name="stream"/> through one
    /// staging tensor of the file's dtype, <see cref="ChunkBytes"/> at a time, handing each chunk and the index of its
    /// first value to <paramref name="visit"/> (the chunk is reused: copy from it, keep nothing).
    /// </summary>
    private static void ForEachChunk(Stream stream, StoredTensor source, long count, Action<long, Tensor> visit)
    {
        int elementSize = (int)(source.Length / count);
        long chunkElements = Math.Max(1, ChunkBytes / elementSize);
        using Tensor staging = empty(Math.Min(chunkElements, count), source.Type);
        stream.Position = source.Offset;
        for (long start = 0; start < count; start += chunkElements)
        {
            using Tensor stage = staging.narrow(0, 0, Math.Min(chunkElements, count - start));
            stream.ReadExactly(stage.bytes);
            visit(start, stage);
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
