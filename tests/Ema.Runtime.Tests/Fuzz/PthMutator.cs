using System.Buffers.Binary;
using System.Text;

namespace Ema.Runtime.Tests.Fuzz;

/// <summary>
/// Deterministic mutations of a valid .pth (PyTorch zip) checkpoint: case <c>n</c> of seed <c>s</c> is always the same
/// bytes. A third are blind (bits, bytes, truncation, insertion); a third edit the zip structure in place (sizes,
/// offsets, counts, name and extra lengths of the directory and the local headers); a third change the pickle and
/// re-pack the archive consistently, so that the change reaches the unpickler: opcodes, integers (shapes, offsets,
/// element counts), lengths, unknown opcodes, globals, deep nesting, truncation, and storages cut short.
/// </summary>
internal sealed class PthMutator : ICheckpointMutator
{
    private static readonly long[] s_interestingNumbers = [-1, 0, 1, 2, 3, 7, 255, 65535, int.MaxValue, uint.MaxValue, (long)uint.MaxValue + 1, long.MaxValue];
    private static readonly byte[] s_opcodes = [(byte)'(', (byte)'}', (byte)']', (byte)')', (byte)'t', 0x85, 0x86, 0x87, (byte)'q', (byte)'h', (byte)'j', (byte)'J', (byte)'K', (byte)'M', 0x8a, 0x8b, (byte)'G', 0x88, (byte)'N', (byte)'X', 0x8c, (byte)'c', 0x93, (byte)'R', 0x81, (byte)'b', (byte)'Q', (byte)'s', (byte)'u', (byte)'a', (byte)'e', (byte)'0', (byte)'1', (byte)'2', (byte)'.', 0x95, 0x8f, 0x90, 0x91, 0x92, 0x94, 0x96, (byte)'i', (byte)'o', 0xFF, 0x00];

    private readonly byte[] _valid;
    private readonly List<(string Name, byte[] Data)> _entries;
    private readonly int _pickleIndex;

    public PthMutator(string path)
    {
        _valid = File.ReadAllBytes(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
        _entries = ZipDirectory.Read(path, stream).Values.OrderBy(e => e.Offset)
            .Select(e => (e.Name, _valid.AsSpan((int)e.Offset, (int)e.Length).ToArray())).ToList();
        _pickleIndex = _entries.FindIndex(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
    }

    public (byte[] Bytes, string Description) Mutate(int seed, int index)
    {
        var random = new Random(unchecked((seed * 1_000_003) + index));
        var done = new List<string>();
        byte[] bytes = random.Next(3) switch
        {
            0 => Blind(random, (byte[])_valid.Clone(), done),
            1 => Structure(random, (byte[])_valid.Clone(), done),
            _ => Repack(random, done),
        };
        return (bytes, string.Join("; ", done));
    }

    private static byte[] Blind(Random random, byte[] bytes, List<string> done)
    {
        int at = random.Next(bytes.Length);
        switch (random.Next(5))
        {
            case 0:
                int bit = random.Next(8);
                bytes[at] ^= (byte)(1 << bit);
                done.Add($"flip bit {bit} of byte {at}");
                return bytes;
            case 1:
                bytes[at] = (byte)random.Next(256);
                done.Add($"byte {at} = 0x{bytes[at]:X2}");
                return bytes;
            case 2:
                done.Add($"truncate to {at} bytes");
                return bytes[..at];
            case 3:
                int n = random.Next(1, 64);
                done.Add($"insert {n} bytes at {at}");
                return [.. bytes[..at], .. Enumerable.Range(0, n).Select(_ => (byte)random.Next(256)), .. bytes[at..]];
            default:
                int m = Math.Min(random.Next(1, 64), bytes.Length - at);
                done.Add($"delete {m} bytes at {at}");
                return [.. bytes[..at], .. bytes[(at + m)..]];
        }
    }

    /// <summary>Overwrites a numeric field of a zip record (found by its signature) with an interesting value.</summary>
    private static byte[] Structure(Random random, byte[] bytes, List<string> done)
    {
        (uint signature, int[] fields32, int[] fields16)[] records =
        [
            (0x02014b50, [16, 20, 24, 42], [8, 10, 28, 30, 32]), // central: crc, sizes, local offset; flags, method, lengths
            (0x04034b50, [14, 18, 22], [6, 8, 26, 28]),          // local: crc, sizes; flags, method, lengths
            (0x06054b50, [12, 16], [8, 10, 20]),                  // end: directory size, offset; counts, comment length
        ];
        (uint signature, int[] fields32, int[] fields16) = records[random.Next(records.Length)];
        var positions = new List<int>();
        for (int i = 0; i + 4 <= bytes.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)) == signature)
            {
                positions.Add(i);
            }
        }

        int at = positions[random.Next(positions.Count)];
        long value = s_interestingNumbers[random.Next(s_interestingNumbers.Length)] + random.Next(-1, 2);
        if (random.Next(2) == 0 && at + fields32.Max() + 4 <= bytes.Length)
        {
            int field = fields32[random.Next(fields32.Length)];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + field), unchecked((uint)value));
            done.Add($"u32 at record 0x{signature:x8}@{at}+{field} = {unchecked((uint)value)}");
        }
        else if (at + fields16.Max() + 2 <= bytes.Length)
        {
            int field = fields16[random.Next(fields16.Length)];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at + field), unchecked((ushort)value));
            done.Add($"u16 at record 0x{signature:x8}@{at}+{field} = {unchecked((ushort)value)}");
        }

        return bytes;
    }

    /// <summary>Changes the pickle (or cuts a storage short) and writes a consistent archive around it.</summary>
    private byte[] Repack(Random random, List<string> done)
    {
        var entries = _entries.Select(e => (e.Name, Data: (byte[])e.Data.Clone())).ToList();
        byte[] pickle = entries[_pickleIndex].Data;
        int at = random.Next(pickle.Length);
        switch (random.Next(8))
        {
            case 0:
                pickle[at] = s_opcodes[random.Next(s_opcodes.Length)];
                done.Add($"pickle byte {at} = opcode 0x{pickle[at]:X2}");
                break;
            case 1:
                // An integer argument (BININT, used for shapes, strides, offsets and element counts).
                int[] ints = Enumerable.Range(0, pickle.Length - 5).Where(i => pickle[i] == (byte)'J').ToArray();
                int j = ints[random.Next(ints.Length)];
                int v = unchecked((int)(s_interestingNumbers[random.Next(s_interestingNumbers.Length)] + random.Next(-1, 2)));
                BinaryPrimitives.WriteInt32LittleEndian(pickle.AsSpan(j + 1), v);
                done.Add($"BININT at {j} = {v}");
                break;
            case 2:
                // A length (BINUNICODE) claiming more than the pickle has.
                int[] strings = Enumerable.Range(0, pickle.Length - 5).Where(i => pickle[i] == (byte)'X').ToArray();
                int k = strings[random.Next(strings.Length)];
                uint length = random.Next(2) == 0 ? uint.MaxValue : (uint)random.Next(1 << 20);
                BinaryPrimitives.WriteUInt32LittleEndian(pickle.AsSpan(k + 1), length);
                done.Add($"BINUNICODE at {k} claims {length} bytes");
                break;
            case 3:
                int depth = random.Next(1_000, 200_000);
                byte open = random.Next(2) == 0 ? (byte)'(' : (byte)']';
                pickle = [.. Enumerable.Repeat(open, depth), .. pickle];
                done.Add($"{depth} x '{(char)open}' before the pickle (deep nesting)");
                break;
            case 4:
                byte[] global = Encoding.ASCII.GetBytes(random.Next(2) == 0 ? "cposix\nsystem\n" : "cbuiltins\neval\n");
                pickle = [.. pickle[..at], .. global, .. pickle[at..]];
                done.Add($"a forbidden GLOBAL inserted at {at}");
                break;
            case 5:
                pickle = pickle[..at];
                done.Add($"pickle truncated to {at} bytes");
                break;
            case 6:
                int victim = random.Next(entries.Count);
                byte[] data = entries[victim].Data;
                entries[victim] = (entries[victim].Name, data[..random.Next(data.Length + 1)]);
                done.Add($"entry '{entries[victim].Name}' cut to {entries[victim].Data.Length} bytes");
                break;
            default:
                int from = random.Next(pickle.Length), count = Math.Min(random.Next(1, 40), pickle.Length - from);
                pickle = [.. pickle[..at], .. pickle.AsSpan(from, count).ToArray(), .. pickle[at..]];
                done.Add($"pickle bytes [{from}, +{count}) copied to {at}");
                break;
        }

        if (!done[^1].StartsWith("entry", StringComparison.Ordinal))
        {
            entries[_pickleIndex] = (entries[_pickleIndex].Name, pickle);
        }

        using var buffer = new MemoryStream();
        var zip = new ZipWriter(buffer);
        foreach ((string name, byte[] data) in entries)
        {
            zip.Begin(name, data.Length);
            zip.Write(data);
            zip.End();
        }

        zip.Finish();
        return buffer.ToArray();
    }
}
