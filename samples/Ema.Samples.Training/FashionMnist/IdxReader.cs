using System.Buffers.Binary;
using System.IO.Compression;

namespace Ema.Samples.Training.FashionMnist;

/// <summary>
/// Reads the gzipped IDX files of (Fashion-)MNIST as Debian's <c>dataset-fashion-mnist</c> installs them. Not
/// TorchSharp's TorchVision reader: that is a further NuGet package (TorchVision), and it wants the files decompressed
/// in its own folder layout, so the read-only files under /usr/share would first be copied out and unpacked (and, as
/// issue 21 reports, it scales pixels by 1/256, not by PyTorch's 1/255; not re-checked here, as the package is not
/// referenced). Reading the bytes here gives Ema and the PyTorch script the same inputs.
/// </summary>
internal static class IdxReader
{
    private const int UnsignedByteType = 0x08;

    /// <summary>The unsigned bytes of an IDX file and its dimensions (e.g. [60000, 28, 28] for images).</summary>
    /// <exception cref="InvalidDataException">The file is not a gzipped IDX file of unsigned bytes, or is cut short; the message names the file.</exception>
    public static (byte[] Values, int[] Dimensions) Read(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        Span<byte> magic = stackalloc byte[4];
        ReadExactly(gzip, magic, path, "the magic number");
        if (magic[0] != 0 || magic[1] != 0 || magic[2] != UnsignedByteType || magic[3] is < 1 or > 4)
        {
            throw new InvalidDataException($"{path}: not an IDX file of unsigned bytes (magic {Convert.ToHexString(magic)}, expected 000008 then 1-4 dimensions).");
        }

        var dimensions = new int[magic[3]];
        Span<byte> size = stackalloc byte[4];
        long count = 1;
        for (int i = 0; i < dimensions.Length; i++)
        {
            ReadExactly(gzip, size, path, $"dimension {i}");
            dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(size);
            if (dimensions[i] <= 0)
            {
                throw new InvalidDataException($"{path}: dimension {i} is {dimensions[i]}; expected a positive size.");
            }

            count *= dimensions[i];
        }

        if (count > Array.MaxLength)
        {
            throw new InvalidDataException($"{path}: {count} values are more than one array holds.");
        }

        var values = new byte[count];
        ReadExactly(gzip, values, path, $"{count} values");
        return (values, dimensions);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string path, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: the file ends before {what}.");
        }
    }
}
