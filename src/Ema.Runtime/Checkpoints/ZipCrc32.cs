namespace Ema;

/// <summary>
/// The CRC-32 of zip entries (polynomial 0xEDB88320, reflected), eight bytes per step ("slicing by 8"): fast enough
/// that a .pth save stays bound by the disk. Written here rather than taken from System.IO.Hashing so that the
/// package keeps depending on TorchSharp and the configuration abstractions only.
/// </summary>
internal sealed class ZipCrc32
{
    private static readonly uint[][] s_tables = BuildTables();
    private uint _crc = 0xFFFFFFFF;

    public void Reset() => _crc = 0xFFFFFFFF;

    public uint Value => ~_crc;

    public void Append(ReadOnlySpan<byte> data)
    {
        uint crc = _crc;
        uint[] t0 = s_tables[0], t1 = s_tables[1], t2 = s_tables[2], t3 = s_tables[3];
        uint[] t4 = s_tables[4], t5 = s_tables[5], t6 = s_tables[6], t7 = s_tables[7];
        while (data.Length >= 8)
        {
            uint low = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            uint high = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t7[low & 0xFF] ^ t6[(low >> 8) & 0xFF] ^ t5[(low >> 16) & 0xFF] ^ t4[low >> 24]
                ^ t3[high & 0xFF] ^ t2[(high >> 8) & 0xFF] ^ t1[(high >> 16) & 0xFF] ^ t0[high >> 24];
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        _crc = crc;
    }

    private static uint[][] BuildTables()
    {
        var tables = new uint[8][];
        tables[0] = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            tables[0][i] = c;
        }

        for (int t = 1; t < 8; t++)
        {
            tables[t] = new uint[256];
            for (int i = 0; i < 256; i++)
            {
                uint previous = tables[t - 1][i];
                tables[t][i] = tables[0][previous & 0xFF] ^ (previous >> 8);
            }
        }

        return tables;
    }
}
