using System.Buffers.Binary;
using System.Text;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Writes a PyTorch checkpoint as <c>torch.save</c> does (a zip archive of <c>archive/data.pkl</c>, one
/// <c>archive/data/&lt;key&gt;</c> entry per tensor and <c>archive/version</c>), naming no global beyond
/// <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c> and the <c>torch.*Storage</c> types, so
/// that <c>torch.load(weights_only=True)</c> accepts it. Every tensor gets its own compact storage (PyTorch refuses
/// views of one shared buffer, such as the EMA's, written as they are) and is streamed chunk by chunk.
/// </summary>
/// <remarks>
/// Why not TorchSharp.PyBridge's <c>PyTorchPickler</c>: it copies every tensor whole into memory before writing,
/// and its output is checked here against the same strict reader instead of trusting a second implementation.
/// </remarks>
internal static class PthWriter
{
    private const string Archive = "archive/";

    /// <summary>A top-level entry: a string, long, double, bool, a string-to-string dict, one tensor, or a state dict (a list of named tensors).</summary>
    public static void Write(Stream stream, IReadOnlyList<KeyValuePair<string, object>> entries)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Checkpoints are written on little-endian hosts only.");
        }

        var tensors = new List<Tensor>();
        byte[] pickle = Pickle(entries, tensors);
        var zip = new ZipWriter(stream);
        WriteEntry(zip, Archive + "data.pkl", pickle);
        WriteEntry(zip, Archive + "byteorder", Encoding.ASCII.GetBytes("little"));
        for (int key = 0; key < tensors.Count; key++)
        {
            Tensor tensor = tensors[key];
            zip.Begin(Archive + "data/" + key.ToString(System.Globalization.CultureInfo.InvariantCulture), tensor.numel() * tensor.ElementSize);
            TensorStreaming.Write(tensor, zip.Write);
            zip.End();
        }

        WriteEntry(zip, Archive + "version", Encoding.ASCII.GetBytes("3\n"));
        zip.Finish();
    }

    private static void WriteEntry(ZipWriter zip, string name, byte[] data)
    {
        zip.Begin(name, data.Length);
        zip.Write(data);
        zip.End();
    }

    private static byte[] Pickle(IReadOnlyList<KeyValuePair<string, object>> entries, List<Tensor> tensors)
    {
        var pickler = new Pickler(tensors);
        pickler.Op(0x80).Op(2); // PROTO 2, what torch.save writes
        pickler.Op((byte)'}').Op((byte)'(');
        foreach ((string key, object value) in entries)
        {
            pickler.String(key);
            pickler.Value(value);
        }

        pickler.Op((byte)'u').Op((byte)'.'); // SETITEMS, STOP
        return pickler.ToArray();
    }

    /// <summary>The pickle opcodes the writer needs (protocol 2).</summary>
    private sealed class Pickler(List<Tensor> tensors)
    {
        private readonly MemoryStream _out = new();

        public Pickler Op(byte op)
        {
            _out.WriteByte(op);
            return this;
        }

        public byte[] ToArray() => _out.ToArray();

        public void Value(object value)
        {
            switch (value)
            {
                case string s:
                    String(s);
                    break;
                case bool b:
                    Op(b ? (byte)0x88 : (byte)0x89);
                    break;
                case int or long:
                    Long(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case double d:
                    Span<byte> bytes = stackalloc byte[8];
                    BinaryPrimitives.WriteDoubleBigEndian(bytes, d);
                    Op((byte)'G');
                    _out.Write(bytes);
                    break;
                case IReadOnlyDictionary<string, string> strings:
                    Op((byte)'}').Op((byte)'(');
                    foreach ((string k, string v) in strings)
                    {
                        String(k);
                        String(v);
                    }

                    Op((byte)'u');
                    break;
                case Tensor tensor:
                    Tensor(tensor);
                    break;
                case IReadOnlyList<KeyValuePair<string, Tensor>> stateDict:
                    // collections.OrderedDict(), then its items: what model.state_dict() pickles to.
                    Global("collections", "OrderedDict").Op((byte)')').Op((byte)'R').Op((byte)'(');
                    foreach ((string name, Tensor tensor) in stateDict)
                    {
                        String(name);
                        Tensor(tensor);
                    }

                    Op((byte)'u');
                    break;
                default:
                    throw new ArgumentException($"A .pth checkpoint entry cannot hold a {value.GetType().Name}.", nameof(value));
            }
        }

        public void String(string s)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(s);
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)bytes.Length);
            Op((byte)'X');
            _out.Write(length);
            _out.Write(bytes);
        }

        private void Long(long value)
        {
            if (value is >= int.MinValue and <= int.MaxValue)
            {
                Span<byte> bytes = stackalloc byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
                Op((byte)'J');
                _out.Write(bytes);
            }
            else
            {
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
                Op(0x8a).Op(8); // LONG1, 8 bytes two's complement
                _out.Write(bytes);
            }
        }

        private Pickler Global(string module, string name)
        {
            Op((byte)'c');
            _out.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
            return this;
        }

        /// <summary>_rebuild_tensor_v2(storage, 0, size, contiguous stride, False, OrderedDict()) with a persistent id for a new storage.</summary>
        private void Tensor(Tensor tensor)
        {
            string key = tensors.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            tensors.Add(tensor);
            long[] shape = tensor.shape;
            long[] stride = new long[shape.Length];
            long step = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                stride[i] = step;
                step *= shape[i];
            }

            Global("torch._utils", "_rebuild_tensor_v2").Op((byte)'(');
            Op((byte)'(');
            String("storage");
            Global("torch", StorageName(tensor.dtype));
            String(key);
            String("cpu");
            Long(tensor.numel());
            Op((byte)'t').Op((byte)'Q'); // the persistent id tuple, BINPERSID
            Long(0);
            Tuple(shape);
            Tuple(stride);
            Op(0x89); // requires_grad False
            Global("collections", "OrderedDict").Op((byte)')').Op((byte)'R'); // backward hooks
            Op((byte)'t').Op((byte)'R');
        }

        private void Tuple(long[] values)
        {
            Op((byte)'(');
            foreach (long v in values)
            {
                Long(v);
            }

            Op((byte)'t');
        }

        private static string StorageName(ScalarType type)
        {
            foreach ((string name, (ScalarType t, _)) in PickleReader.StorageTypes)
            {
                if (t == type)
                {
                    return name;
                }
            }

            throw new NotSupportedException($"The dtype {type} has no PyTorch storage type this project writes.");
        }
    }
}
