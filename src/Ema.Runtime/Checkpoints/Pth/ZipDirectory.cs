using System.Buffers.Binary;
using System.Text;

namespace Ema;

/// <summary>
/// The central directory of a zip archive as <c>torch.save</c> writes it (stored entries, ZIP64 when large), read
/// with every offset and size checked against the file before anything is trusted. Hand-written rather than
/// <see cref="System.IO.Compression.ZipArchive"/>: the loader needs each entry's absolute data offset, to stream
/// tensors straight from the file into the model, and ZipArchive does not expose it.
/// </summary>
internal static class ZipDirectory
{
    /// <summary>An entry's data: <see cref="Length"/> bytes at the absolute file offset <see cref="Offset"/>.</summary>
    public sealed record Entry(string Name, long Offset, long Length);

    private const uint EndSignature = 0x06054b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint CentralSignature = 0x02014b50;
    private const uint LocalSignature = 0x04034b50;
    private const int EndSize = 22;
    private const int CentralSize = 46;
    private const int LocalSize = 30;

    /// <summary>A checkpoint has a few entries per tensor; a larger directory is refused before it is allocated.</summary>
    private const long MaxDirectoryBytes = 256L << 20;

    public static Dictionary<string, Entry> Read(string path, FileStream stream)
    {
        long fileLength = stream.Length;
        (long count, long directoryOffset, long directorySize, long endOffset) = FindEnd(path, stream, fileLength);
        if (directoryOffset < 0 || directorySize < 0 || directoryOffset + directorySize > endOffset)
        {
            throw Error(path, $"the central directory [{directoryOffset}, +{directorySize}) lies outside the file's {fileLength} bytes");
        }

        if (directorySize > MaxDirectoryBytes || count > directorySize / CentralSize)
        {
            throw Error(path, $"the central directory claims {count} entries in {directorySize} bytes, more than it can hold");
        }

        byte[] directory = ReadAt(stream, directoryOffset, (int)directorySize);
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        int position = 0;
        for (long i = 0; i < count; i++)
        {
            Entry entry = ReadCentralEntry(path, stream, directory, ref position, directoryOffset);
            if (!entries.TryAdd(entry.Name, entry))
            {
                throw Error(path, $"the archive names the entry '{entry.Name}' twice");
            }
        }

        return entries;
    }

    private static (long Count, long Offset, long Size, long EndOffset) FindEnd(string path, FileStream stream, long fileLength)
    {
        int tailLength = (int)Math.Min(fileLength, EndSize + ushort.MaxValue);
        byte[] tail = ReadAt(stream, fileLength - tailLength, tailLength);
        for (int at = tailLength - EndSize; at >= 0; at--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at)) != EndSignature)
            {
                continue;
            }

            long endOffset = fileLength - tailLength + at;
            ReadOnlySpan<byte> end = tail.AsSpan(at, EndSize);
            long count = BinaryPrimitives.ReadUInt16LittleEndian(end[10..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(end[12..]);
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(end[16..]);
            bool zip64 = count == ushort.MaxValue || size == uint.MaxValue || offset == uint.MaxValue;
            if (!zip64 || endOffset < 20)
            {
                return (count, offset, size, endOffset);
            }

            ReadOnlySpan<byte> locator = ReadAt(stream, endOffset - 20, 20);
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64LocatorSignature)
            {
                throw Error(path, "the end record asks for ZIP64 but the ZIP64 locator is missing");
            }

            long end64Offset = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(locator[8..]), long.MaxValue);
            if (end64Offset > endOffset - 20 - 56)
            {
                throw Error(path, $"the ZIP64 end record offset {end64Offset} lies outside the file");
            }

            ReadOnlySpan<byte> end64 = ReadAt(stream, end64Offset, 56);
            if (BinaryPrimitives.ReadUInt32LittleEndian(end64) != Zip64EndSignature)
            {
                throw Error(path, "the ZIP64 end record has a wrong signature");
            }

            return (Clamp(BinaryPrimitives.ReadUInt64LittleEndian(end64[32..])), Clamp(BinaryPrimitives.ReadUInt64LittleEndian(end64[48..])),
                Clamp(BinaryPrimitives.ReadUInt64LittleEndian(end64[40..])), end64Offset);
        }

        throw Error(path, "no end-of-central-directory record (truncated archive)");
    }

    private static Entry ReadCentralEntry(string path, FileStream stream, byte[] directory, ref int position, long directoryOffset)
    {
        if (directory.Length - position < CentralSize || BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(position)) != CentralSignature)
        {
            throw Error(path, $"the central directory entry at byte {directoryOffset + position} is truncated or has a wrong signature");
        }

        ReadOnlySpan<byte> header = directory.AsSpan(position, CentralSize);
        int flags = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
        int method = BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
        long compressed = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        long length = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
        int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[30..]);
        int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(header[32..]);
        long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(header[42..]);
        if (directory.Length - position - CentralSize < nameLength + extraLength + commentLength)
        {
            throw Error(path, $"the central directory entry at byte {directoryOffset + position} runs past the directory");
        }

        string name = Encoding.UTF8.GetString(directory, position + CentralSize, nameLength);
        ReadOnlySpan<byte> extra = directory.AsSpan(position + CentralSize + nameLength, extraLength);
        ReadZip64Extra(extra, ref length, ref compressed, ref localOffset);
        position += CentralSize + nameLength + extraLength + commentLength;

        if ((flags & 1) != 0 || method != 0 || compressed != length)
        {
            throw Error(path, $"the entry '{name}' is compressed or encrypted (method {method}, flags {flags}); torch.save stores entries uncompressed");
        }

        if (localOffset < 0 || localOffset > directoryOffset - LocalSize)
        {
            throw Error(path, $"the entry '{name}' starts at {localOffset}, outside the archive's data");
        }

        ReadOnlySpan<byte> local = ReadAt(stream, localOffset, LocalSize);
        if (BinaryPrimitives.ReadUInt32LittleEndian(local) != LocalSignature)
        {
            throw Error(path, $"the entry '{name}' has no local header at {localOffset}");
        }

        long dataOffset = localOffset + LocalSize + BinaryPrimitives.ReadUInt16LittleEndian(local[26..]) + BinaryPrimitives.ReadUInt16LittleEndian(local[28..]);
        if (length < 0 || dataOffset > directoryOffset || length > directoryOffset - dataOffset)
        {
            throw Error(path, $"the entry '{name}' claims {length} bytes at {dataOffset}, beyond the archive's data (truncated file?)");
        }

        return new Entry(name, dataOffset, length);
    }

    /// <summary>ZIP64 extended information (header id 1): 64-bit values for the fields whose 32-bit form is all ones, in this order.</summary>
    private static void ReadZip64Extra(ReadOnlySpan<byte> extra, ref long length, ref long compressed, ref long localOffset)
    {
        while (extra.Length >= 4)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int size = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]), extra.Length - 4);
            ReadOnlySpan<byte> field = extra.Slice(4, size);
            if (id == 1)
            {
                if (length == uint.MaxValue && field.Length >= 8)
                {
                    length = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(field));
                    field = field[8..];
                }

                if (compressed == uint.MaxValue && field.Length >= 8)
                {
                    compressed = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(field));
                    field = field[8..];
                }

                if (localOffset == uint.MaxValue && field.Length >= 8)
                {
                    localOffset = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(field));
                }
            }

            extra = extra[(4 + size)..];
        }
    }

    /// <summary>A 64-bit unsigned value beyond long's range becomes -1, which every bounds check refuses.</summary>
    private static long Clamp(ulong value) => value > long.MaxValue ? -1 : (long)value;

    private static byte[] ReadAt(FileStream stream, long offset, int count)
    {
        var bytes = new byte[count];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static CheckpointException Error(string path, string message) =>
        new(path, $"the PyTorch archive (zip) is malformed: {message}.");
}
