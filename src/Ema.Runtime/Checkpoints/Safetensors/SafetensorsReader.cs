using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Reads a safetensors file's header, checking the whole layout against the file's size before allocating anything:
/// header length within the file, known dtypes, offsets in bounds, sizes that match dtype x shape, and data
/// regions that are contiguous from 0 and cover the data section exactly (what Python's safetensors demands).
/// </summary>
internal static class SafetensorsReader
{
    /// <summary>Python's safetensors refuses headers above 100 MB; so do we, before allocating one.</summary>
    private const long MaxHeaderLength = 100_000_000;

    private sealed record Entry(string Name, ScalarType Type, long[] Shape, long Begin, long End);

    /// <summary>
    /// Reads a safetensors file one tensor at a time (post-hoc EMA snapshots): the header is checked as
    /// <see cref="Read(string, FileStream)"/> checks it, then each tensor is read, handed to <paramref name="visit"/>
    /// and disposed before the next is read (null: the header only).
    /// </summary>
    /// <returns>The file's <c>__metadata__</c>.</returns>
    public static IReadOnlyDictionary<string, string> ReadEach(string path, Action<string, Tensor>? visit)
    {
        using CheckpointContent opened = CheckpointContent.Open(path);
        if (opened is not SafetensorsContent content)
        {
            throw new CheckpointException(path, "expected a safetensors file, found a PyTorch archive.");
        }

        if (visit is not null)
        {
            foreach ((string name, StoredTensor stored) in content.Tensors)
            {
                using Tensor tensor = empty(stored.Shape, stored.Type);
                TensorStreaming.ReadInto(content.Stream, stored, tensor);
                visit(name, tensor);
            }
        }

        return content.Metadata;
    }

    /// <summary>Reads and checks the header of the safetensors file open in <paramref name="stream"/>; no tensor data is read.</summary>
    public static SafetensorsContent Read(string path, FileStream stream)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw new CheckpointException(path, $"the file is truncated: {fileLength} bytes, fewer than the 8-byte header length.");
        }

        Span<byte> lengthBytes = stackalloc byte[8];
        stream.Position = 0;
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw new CheckpointException(path, $"the header length {headerLength} reaches beyond the file's {fileLength} bytes (truncated or not a safetensors file).");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw new CheckpointException(path, $"the header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes.");
        }

        byte[] header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;
        (List<Entry> entries, Dictionary<string, string> metadata) = ParseHeader(path, header, dataLength);
        CheckLayout(path, entries, dataLength);
        var tensors = entries.ToDictionary(
            e => e.Name, e => new StoredTensor(e.Name, e.Type, e.Shape, dataStart + e.Begin, e.End - e.Begin), StringComparer.Ordinal);
        return new SafetensorsContent(path, stream, tensors, metadata);
    }

    private static (List<Entry>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        // JsonDocument checks UTF-8 only when a string is decoded, and then throws InvalidOperationException from
        // wherever that happens: check it here once, so a flipped bit in a name is a CheckpointException.
        if (!System.Text.Unicode.Utf8.IsValid(header))
        {
            throw new CheckpointException(path, "the header is not valid UTF-8 (corrupted or not a safetensors file).");
        }

        JsonDocument document;
        try
        {
            // The default depth limit (64) also bounds the recursion on a hostile header.
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"the header is not valid JSON: {e.Message}", innerException: e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException(path, "the header is not a JSON object.");
            }

            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                // JSON objects may repeat a name and JsonDocument keeps both: which one wins is undefined, so refuse.
                if (!names.Add(property.Name))
                {
                    throw new CheckpointException(path, "the header names this entry twice.", property.Name);
                }

                if (property.Name == "__metadata__")
                {
                    ReadMetadata(path, property.Value, metadata);
                }
                else
                {
                    entries.Add(ParseEntry(path, property.Name, property.Value, dataLength));
                }
            }

            return (entries, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointException(path, "__metadata__ is not a JSON object of strings.");
        }

        foreach (JsonProperty item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw new CheckpointException(path, $"__metadata__ value '{item.Name}' is not a string.");
            }

            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw new CheckpointException(path, $"__metadata__ names '{item.Name}' twice.");
            }
        }
    }

    private static Entry ParseEntry(string path, string name, JsonElement element, long dataLength)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !element.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !element.TryGetProperty("data_offsets", out JsonElement offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array)
        {
            throw new CheckpointException(path, "the header entry needs a string 'dtype', an array 'shape' and an array 'data_offsets'.", name);
        }

        string dtype = dtypeElement.GetString()!;
        if (!SafetensorsDtype.TryParse(dtype, out ScalarType type, out int elementSize))
        {
            throw new CheckpointException(path, $"unknown dtype '{dtype}'; supported: {SafetensorsDtype.Known}.", name);
        }

        long[] shape = shapeElement.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out long v) && v >= 0 ? v : -1).ToArray();
        if (shape.Any(d => d < 0))
        {
            throw new CheckpointException(path, $"the shape {shapeElement.GetRawText()} is not a list of non-negative integers.", name);
        }

        long[] offsets = offsetsElement.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out long v) && v >= 0 ? v : -1).ToArray();
        if (offsets.Length != 2 || offsets.Any(o => o < 0) || offsets[0] > offsets[1])
        {
            throw new CheckpointException(path, $"data_offsets {offsetsElement.GetRawText()} are not [begin, end] with 0 <= begin <= end.", name);
        }

        if (offsets[1] > dataLength)
        {
            throw new CheckpointException(path, $"data_offsets [{offsets[0]}, {offsets[1]}] reach beyond the data section's {dataLength} bytes (truncated file?).", name);
        }

        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * elementSize);
        }
        catch (OverflowException)
        {
            expected = -1;
        }

        if (expected != offsets[1] - offsets[0])
        {
            throw new CheckpointException(path, $"{dtype} x [{string.Join(", ", shape)}] needs {expected} bytes, but data_offsets [{offsets[0]}, {offsets[1]}] hold {offsets[1] - offsets[0]}.", name);
        }

        return new Entry(name, type, shape, offsets[0], offsets[1]);
    }

    private static void CheckLayout(string path, List<Entry> entries, long dataLength)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expectedBegin = 0;
        foreach (Entry entry in entries)
        {
            if (entry.Begin < expectedBegin)
            {
                throw new CheckpointException(path, $"data_offsets [{entry.Begin}, {entry.End}] overlap the previous tensor (which ends at {expectedBegin}).", entry.Name);
            }

            if (entry.Begin > expectedBegin)
            {
                throw new CheckpointException(path, $"data_offsets [{entry.Begin}, {entry.End}] leave a gap after byte {expectedBegin}: tensors must cover the data section contiguously.", entry.Name);
            }

            expectedBegin = entry.End;
        }

        if (expectedBegin != dataLength)
        {
            throw new CheckpointException(path, $"the tensors cover {expectedBegin} bytes of the {dataLength}-byte data section: the file has trailing or missing data.");
        }
    }
}
