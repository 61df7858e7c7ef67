using System.Text;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Recognizes a file written by TorchSharp's own <c>Module.save</c> (a 7-bit encoded entry count, then per entry a
/// length-prefixed name, a 7-bit encoded dtype, rank and sizes, and the raw data), so that the error names it
/// instead of reading its first bytes as a safetensors header length.
/// </summary>
internal static class TorchSharpFormat
{
    public const string Message =
        "this is a file written by TorchSharp's Module.save (TorchSharp's own format), not a checkpoint in safetensors or PyTorch's format. " +
        "Load it with module.load(path), or write checkpoints with Ema's Checkpoint.Save (safetensors, or .pth for PyTorch).";

    private const int MaxRank = 16;

    /// <summary>Whether the whole file parses as Module.save's format, every entry's data ending exactly at the file's end.</summary>
    public static bool Recognize(Stream stream)
    {
        long start = stream.Position;
        try
        {
            using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            long count = Read7Bit(reader);
            if (count is <= 0 or > 1_000_000)
            {
                return false;
            }

            for (long i = 0; i < count; i++)
            {
                int nameLength = (int)Read7Bit(reader);
                if (nameLength is <= 0 or > 4096 || !System.Text.Unicode.Utf8.IsValid(reader.ReadBytes(nameLength)))
                {
                    return false;
                }

                long dtype = Read7Bit(reader);
                if (!Enum.IsDefined((ScalarType)(int)dtype) || ElementSize((ScalarType)(int)dtype) is not { } size)
                {
                    return false;
                }

                long rank = Read7Bit(reader);
                if (rank is < 0 or > MaxRank)
                {
                    return false;
                }

                long elements = 1;
                for (int d = 0; d < rank; d++)
                {
                    elements = checked(elements * Read7Bit(reader));
                }

                long end = checked(stream.Position + (elements * size));
                if (elements < 0 || end > stream.Length)
                {
                    return false;
                }

                stream.Position = end;
            }

            return stream.Position == stream.Length;
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or IOException)
        {
            return false;
        }
        finally
        {
            stream.Position = start;
        }
    }

    private static int? ElementSize(ScalarType type) => type switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => null,
    };

    /// <summary>BinaryWriter's 7-bit encoding (TorchSharp's <c>Encode</c>), as a 64-bit value; at most 10 bytes.</summary>
    private static long Read7Bit(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new OverflowException();
    }
}
