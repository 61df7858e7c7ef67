using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Ema.Runtime.Tests.Fuzz;

/// <summary>
/// Deterministic mutations of a valid safetensors file: case <c>n</c> of seed <c>s</c> is always the same bytes, so a
/// failure is reproduced from the two numbers printed with it. Half the mutations are blind (bits, bytes,
/// truncation, insertion), half aim at the structure (the header length and the header's JSON), where a reader
/// is most likely to trust a number it should have checked.
/// </summary>
internal sealed class SafetensorsMutator(byte[] valid) : ICheckpointMutator
{
    private static readonly byte[] s_interestingBytes = [0x00, 0xFF, 0x7F, 0x80, 0xC0, (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)',', (byte)':', (byte)'-', (byte)'9', (byte)'\\'];
    private static readonly long[] s_interestingNumbers = [-1, 0, 1, 7, 8, 255, 4096, int.MaxValue, (long)int.MaxValue + 1, uint.MaxValue, long.MaxValue / 2, long.MaxValue];
    private static readonly string[] s_dtypes = ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "f32", "F8_E4M3", "C64", "", "U64"];

    private readonly int _headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);

    /// <summary>Case <paramref name="index"/> of <paramref name="seed"/>: the mutated bytes and what was done.</summary>
    public (byte[] Bytes, string Description) Mutate(int seed, int index)
    {
        // Not HashCode.Combine: it is randomized per process, and a case must be the same bytes in every run.
        var random = new Random(unchecked((seed * 1_000_003) + index));
        byte[] bytes = (byte[])valid.Clone();
        var done = new List<string>();
        int count = random.Next(10) < 8 ? 1 : random.Next(2, 5); // mostly one mutation, sometimes a few
        for (int i = 0; i < count; i++)
        {
            bytes = MutateOnce(random, bytes, done);
        }

        return (bytes, string.Join("; ", done));
    }

    private byte[] MutateOnce(Random random, byte[] bytes, List<string> done)
    {
        if (bytes.Length == 0)
        {
            return bytes; // an earlier mutation truncated everything: nothing left to edit
        }

        switch (random.Next(9))
        {
            case 0:
            {
                int at = PickOffset(random, bytes.Length);
                int bit = random.Next(8);
                bytes[at] ^= (byte)(1 << bit);
                done.Add($"flip bit {bit} of byte {at}");
                return bytes;
            }

            case 1:
            {
                int at = PickOffset(random, bytes.Length);
                byte value = random.Next(2) == 0 ? s_interestingBytes[random.Next(s_interestingBytes.Length)] : (byte)random.Next(256);
                bytes[at] = value;
                done.Add($"byte {at} = 0x{value:X2}");
                return bytes;
            }

            case 2:
            {
                int length = random.Next(bytes.Length);
                done.Add($"truncate to {length}");
                return bytes[..length];
            }

            case 3:
            {
                long value = random.Next(3) switch
                {
                    0 => s_interestingNumbers[random.Next(s_interestingNumbers.Length)],
                    1 => _headerLength + random.Next(-16, 17),
                    _ => random.NextInt64(),
                };
                if (bytes.Length >= 8)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
                }

                done.Add($"header length = {value}");
                return bytes;
            }

            case 4:
            {
                int at = random.Next(bytes.Length + 1);
                byte[] inserted = new byte[random.Next(1, 17)];
                random.NextBytes(inserted);
                done.Add($"insert {inserted.Length} bytes at {at}");
                return [.. bytes[..at], .. inserted, .. bytes[at..]];
            }

            case 5:
            {
                int at = random.Next(bytes.Length);
                int length = Math.Min(random.Next(1, 17), bytes.Length - at);
                done.Add($"delete {length} bytes at {at}");
                return [.. bytes[..at], .. bytes[(at + length)..]];
            }

            default:
                return EditJson(random, bytes, done);
        }
    }

    /// <summary>Bytes in the length prefix and header are where parsing happens: aim there two times out of three.</summary>
    private int PickOffset(Random random, int length)
    {
        int headerEnd = Math.Min(length, 8 + _headerLength);
        return random.Next(3) < 2 && headerEnd > 0 ? random.Next(headerEnd) : random.Next(Math.Max(1, length));
    }

    /// <summary>Parses the header (when it still parses), edits one entry or the metadata, and writes it back with a consistent length.</summary>
    private static byte[] EditJson(Random random, byte[] bytes, List<string> done)
    {
        if (bytes.Length < 8)
        {
            return bytes;
        }

        long length = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        JsonObject? header;
        try
        {
            // JsonNode decodes names lazily and throws InvalidOperationException on invalid UTF-8: skip such headers.
            header = length > 0 && length <= bytes.Length - 8 && System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(8, (int)length))
                ? JsonNode.Parse(bytes.AsSpan(8, (int)length)) as JsonObject
                : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            header = null; // not JSON any more, or a duplicate name (JsonObject refuses them): blind mutations only
        }

        if (header is null)
        {
            return bytes;
        }

        byte[] data = bytes[(8 + (int)length)..];
        string[] names;
        try
        {
            names = header.Select(p => p.Key).Where(k => k != "__metadata__").ToArray();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return bytes; // JsonObject builds its dictionary lazily, so a duplicate name surfaces here
        }

        string name = names.Length > 0 ? names[random.Next(names.Length)] : "__metadata__";
        string extra = string.Empty;
        try
        {
            extra = EditHeader(random, header, name, done);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            return bytes; // an earlier mutation left a shape this edit cannot work on: keep the bytes as they are
        }

        string text = header.ToJsonString();
        text = text[..^1] + extra + "}";
        byte[] headerBytes = Encoding.UTF8.GetBytes(text);
        byte[] result = new byte[8 + headerBytes.Length + data.Length];
        BinaryPrimitives.WriteInt64LittleEndian(result, headerBytes.Length);
        headerBytes.CopyTo(result, 8);
        data.CopyTo(result, 8 + headerBytes.Length);
        return result;
    }

    /// <summary>One edit of the parsed header; returns raw text to append inside the object (for duplicates JsonObject cannot hold).</summary>
    private static string EditHeader(Random random, JsonObject header, string name, List<string> done)
    {
        string extra = string.Empty;
        switch (random.Next(12))
        {
            case 0:
                header[name]!["data_offsets"] = new JsonArray(Number(random), Number(random));
                done.Add($"{name}.data_offsets = random");
                break;
            case 1:
            {
                JsonArray offsets = header[name]?["data_offsets"] as JsonArray ?? [];
                long shift = random.Next(-64, 65);
                header[name]!["data_offsets"] = new JsonArray(offsets.Select(o => (JsonNode?)JsonValue.Create((o?.GetValue<long>() ?? 0) + shift)).ToArray());
                done.Add($"{name}.data_offsets shifted by {shift}");
                break;
            }

            case 2:
                header[name]!["shape"] = new JsonArray(Enumerable.Range(0, random.Next(0, 5)).Select(_ => (JsonNode?)JsonValue.Create(Number(random))).ToArray());
                done.Add($"{name}.shape = random");
                break;
            case 3:
            {
                JsonArray shape = header[name]?["shape"] as JsonArray ?? [];
                header[name]!["shape"] = new JsonArray([.. shape.Select(d => d?.DeepClone()), JsonValue.Create(random.Next(3) == 0 ? 0 : 1)]);
                done.Add($"{name}.shape gets a trailing dimension");
                break;
            }

            case 4:
                header[name]!["dtype"] = s_dtypes[random.Next(s_dtypes.Length)];
                done.Add($"{name}.dtype = {header[name]!["dtype"]}");
                break;
            case 5:
                header[name]![new[] { "dtype", "shape", "data_offsets" }[random.Next(3)]] = random.Next(3) switch
                {
                    0 => null,
                    1 => JsonValue.Create("x"),
                    _ => JsonValue.Create(1.5),
                };
                done.Add($"{name}: a field of the wrong type");
                break;
            case 6:
                header.Remove(name);
                done.Add($"remove {name}");
                break;
            case 7:
                extra = $",\"{name}\":{header[name]?.ToJsonString() ?? "null"}";
                done.Add($"duplicate {name}");
                break;
            case 8:
            {
                JsonNode? value = header[name];
                header.Remove(name);
                header[name + (random.Next(2) == 0 ? "x" : string.Empty).ToUpperInvariant() + "_"] = value;
                done.Add($"rename {name}");
                break;
            }

            case 9:
                header["__metadata__"] = random.Next(4) switch
                {
                    0 => new JsonObject { ["epoch"] = "99999999999" },
                    1 => new JsonObject { ["ema_step"] = "-3", ["ema"] = "true" },
                    2 => new JsonObject { ["global_step"] = 7 },
                    _ => new JsonArray(),
                };
                done.Add("replace __metadata__");
                break;
            case 10:
                extra = ",\"deep\":" + new string('[', 1000) + new string(']', 1000);
                done.Add("deeply nested extra entry");
                break;
            default:
                header[name]!["data_offsets"] = new JsonArray(0, long.MaxValue);
                header[name]!["shape"] = new JsonArray(long.MaxValue / 4);
                done.Add($"{name} claims {long.MaxValue} bytes");
                break;
        }

        return extra;
    }

    private static long Number(Random random) =>
        random.Next(2) == 0 ? s_interestingNumbers[random.Next(s_interestingNumbers.Length)] : random.Next(-8, 512);
}
