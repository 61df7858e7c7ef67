using System.Buffers.Binary;
using System.Text;

namespace Ema;

/// <summary>
/// Writes a zip archive the way PyTorch's <c>PyTorchStreamWriter</c> does: stored (uncompressed) entries whose data
/// starts on a 64-byte boundary (a padding extra field), ZIP64 records where a size or offset needs them. Each
/// entry's length is known up front and its data streamed in; the CRC-32 is computed on the way and patched into
/// the local header afterwards, so nothing is buffered.
/// </summary>
internal sealed class ZipWriter(Stream stream)
{
    private const int Alignment = 64;
    private const ushort PaddingId = 0x4246; // "FB", as PyTorch names its padding field
    private readonly List<(string Name, long Offset, long Length, uint Crc)> _entries = [];
    private readonly System.IO.Hashing.Crc32 _crc = new(); // zip's CRC-32 (ISO-HDLC); vectorized where the CPU allows
    private (string Name, long Offset, long Length)? _open;
    private long _written;

    /// <summary>Starts an entry of exactly <paramref name="length"/> bytes; write them with <see cref="Write"/>.</summary>
    public void Begin(string name, long length)
    {
        if (_open is not null)
        {
            throw new InvalidOperationException($"The zip entry '{_open.Value.Name}' is still open.");
        }

        long offset = stream.Position;
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        bool zip64 = length >= uint.MaxValue;
        int zip64Extra = zip64 ? 20 : 0;
        int padding = (int)((Alignment - ((offset + 30 + nameBytes.Length + zip64Extra + 4) % Alignment)) % Alignment);
        Span<byte> header = stackalloc byte[30];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (ushort)(zip64 ? 45 : 20));
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 0); // flags
        BinaryPrimitives.WriteUInt16LittleEndian(header[8..], 0); // stored
        BinaryPrimitives.WriteUInt32LittleEndian(header[10..], 0x00210000); // 1980-01-01 00:00, a fixed time: equal content, equal bytes
        BinaryPrimitives.WriteUInt32LittleEndian(header[14..], 0); // CRC-32, patched in End()
        BinaryPrimitives.WriteUInt32LittleEndian(header[18..], zip64 ? uint.MaxValue : (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[22..], zip64 ? uint.MaxValue : (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(header[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(header[28..], (ushort)(zip64Extra + 4 + padding));
        stream.Write(header);
        stream.Write(nameBytes);
        if (zip64)
        {
            Span<byte> extra = stackalloc byte[20];
            BinaryPrimitives.WriteUInt16LittleEndian(extra, 1);
            BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], 16);
            BinaryPrimitives.WriteInt64LittleEndian(extra[4..], length);
            BinaryPrimitives.WriteInt64LittleEndian(extra[12..], length);
            stream.Write(extra);
        }

        Span<byte> pad = stackalloc byte[4 + padding];
        pad.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(pad, PaddingId);
        BinaryPrimitives.WriteUInt16LittleEndian(pad[2..], (ushort)padding);
        stream.Write(pad);
        _open = (name, offset, length);
        _written = 0;
        _crc.Reset();
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        _crc.Append(data);
        _written += data.Length;
        stream.Write(data);
    }

    /// <summary>Ends the entry: checks its length and patches its CRC-32 into the local header.</summary>
    public void End()
    {
        (string name, long offset, long length) = _open ?? throw new InvalidOperationException("No zip entry is open.");
        if (_written != length)
        {
            throw new InvalidOperationException($"The zip entry '{name}' was announced with {length} bytes but {_written} were written.");
        }

        uint crc = _crc.GetCurrentHashAsUInt32();
        long end = stream.Position;
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crcBytes, crc);
        stream.Position = offset + 14;
        stream.Write(crcBytes);
        stream.Position = end;
        _entries.Add((name, offset, length, crc));
        _open = null;
    }

    /// <summary>Writes the central directory and the end records.</summary>
    public void Finish()
    {
        long directoryOffset = stream.Position;
        Span<byte> header = stackalloc byte[46];
        foreach ((string name, long offset, long length, uint crc) in _entries)
        {
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            var zip64 = new List<long>();
            if (length >= uint.MaxValue)
            {
                zip64.Add(length);
                zip64.Add(length);
            }

            if (offset >= uint.MaxValue)
            {
                zip64.Add(offset);
            }

            int extraLength = zip64.Count == 0 ? 0 : 4 + (8 * zip64.Count);
            header.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(header, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (ushort)(zip64.Count > 0 ? 45 : 20));
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], (ushort)(zip64.Count > 0 ? 45 : 20));
            BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0x00210000);
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)Math.Min(length, uint.MaxValue));
            BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)Math.Min(length, uint.MaxValue));
            BinaryPrimitives.WriteUInt16LittleEndian(header[28..], (ushort)nameBytes.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(header[30..], (ushort)extraLength);
            BinaryPrimitives.WriteUInt32LittleEndian(header[42..], (uint)Math.Min(offset, uint.MaxValue));
            stream.Write(header);
            stream.Write(nameBytes);
            if (zip64.Count > 0)
            {
                var extra = new byte[extraLength];
                BinaryPrimitives.WriteUInt16LittleEndian(extra, 1);
                BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), (ushort)(extraLength - 4));
                for (int i = 0; i < zip64.Count; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(extra.AsSpan(4 + (8 * i)), zip64[i]);
                }

                stream.Write(extra);
            }
        }

        long directorySize = stream.Position - directoryOffset;
        bool zip64End = _entries.Count >= ushort.MaxValue || directoryOffset >= uint.MaxValue || directorySize >= uint.MaxValue;
        if (zip64End)
        {
            long end64Offset = stream.Position;
            Span<byte> end64 = stackalloc byte[56 + 20];
            end64.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(end64, 0x06064b50);
            BinaryPrimitives.WriteInt64LittleEndian(end64[4..], 44);
            BinaryPrimitives.WriteUInt16LittleEndian(end64[12..], 45);
            BinaryPrimitives.WriteUInt16LittleEndian(end64[14..], 45);
            BinaryPrimitives.WriteInt64LittleEndian(end64[24..], _entries.Count);
            BinaryPrimitives.WriteInt64LittleEndian(end64[32..], _entries.Count);
            BinaryPrimitives.WriteInt64LittleEndian(end64[40..], directorySize);
            BinaryPrimitives.WriteInt64LittleEndian(end64[48..], directoryOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(end64[56..], 0x07064b50);
            BinaryPrimitives.WriteInt64LittleEndian(end64[64..], end64Offset);
            BinaryPrimitives.WriteUInt32LittleEndian(end64[72..], 1);
            stream.Write(end64);
        }

        Span<byte> end = stackalloc byte[22];
        end.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        ushort count = (ushort)Math.Min(_entries.Count, ushort.MaxValue);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], count);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], count);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], (uint)Math.Min(directorySize, uint.MaxValue));
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], (uint)Math.Min(directoryOffset, uint.MaxValue));
        stream.Write(end);
    }
}
