using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Writes the safetensors layout: an 8-byte little-endian header length N, N bytes of JSON header padded with
/// spaces to a multiple of 8 (so the data starts aligned), then the tensors' raw little-endian bytes, contiguous
/// from offset 0 in the order given.
/// </summary>
internal static class SafetensorsWriter
{
    public static void Write(Stream stream, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        if (!BitConverter.IsLittleEndian)
        {
            // TorchSharp hands out the host's byte order; safetensors is little-endian.
            throw new PlatformNotSupportedException("Checkpoints are written on little-endian hosts only.");
        }

        byte[] header = BuildHeader(tensors, metadata);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach ((string name, Tensor tensor) in tensors)
        {
            TensorStreaming.Write(tensor, stream.Write);
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach ((string key, string value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach ((string name, Tensor tensor) in tensors)
            {
                long size = tensor.numel() * tensor.ElementSize;
                json.WriteStartObject(name);
                json.WriteString("dtype", SafetensorsDtype.NameOf(tensor.dtype));
                json.WriteStartArray("shape");
                foreach (long dim in tensor.shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + size);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += size;
            }

            json.WriteEndObject();
        }

        int padding = (int)((8 - (buffer.Length % 8)) % 8);
        buffer.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        return buffer.ToArray();
    }
}
