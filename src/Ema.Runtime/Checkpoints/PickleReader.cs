using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// A pickle interpreter for the <c>data.pkl</c> of a PyTorch archive, strict the way <c>torch.load(weights_only=True)</c>
/// is: it knows the opcodes <c>torch.save</c> emits (protocols 2 to 5) and the globals of <see cref="AllowedGlobals"/>,
/// and builds plain data from them (<see cref="PickleDict"/>, <see cref="PickleTensor"/>, ...). It never imports or
/// calls anything: any other global becomes a <see cref="PickleForbidden"/> placeholder, refused when read and
/// skipped unbuilt when it sits in an entry nobody reads.
/// </summary>
/// <remarks>
/// Why not TorchSharp.PyBridge or Razorvine.Pickle: their unpicklers construct every object as they go and fail on
/// the first unknown class, also inside entries a loader would skip (SuperGradients' <c>packages</c> holds a
/// <c>TorchVersion</c>), and they read every storage into memory while unpickling; checking the header against the
/// model first and streaming the data afterwards needs descriptors, not tensors. The opcode set of a state dict
/// is small enough to interpret here, with every length checked against the bytes left (no allocation beyond
/// the pickle's own size) and no recursion (no depth to exhaust).
/// </remarks>
internal sealed class PickleReader
{
    /// <summary>The globals a weights-only checkpoint may name; <c>torch.load(weights_only=True)</c> allows these too.</summary>
    public static readonly IReadOnlySet<string> AllowedGlobals = new HashSet<string>(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.DoubleStorage", "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage",
        "torch.BoolStorage",
    };

    /// <summary>The storage types and their dtypes (the persistent ids of <c>torch.save</c> name them).</summary>
    public static readonly IReadOnlyDictionary<string, (ScalarType Type, int Size)> StorageTypes = new Dictionary<string, (ScalarType, int)>(StringComparer.Ordinal)
    {
        ["DoubleStorage"] = (ScalarType.Float64, 8),
        ["FloatStorage"] = (ScalarType.Float32, 4),
        ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["LongStorage"] = (ScalarType.Int64, 8),
        ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2),
        ["CharStorage"] = (ScalarType.Int8, 1),
        ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    private static readonly object s_mark = new();

    /// <summary>A state dict's pickle keeps a handful of values on the stack; deep nesting is refused before it costs memory.</summary>
    private const int MaxStack = 10_000;

    private readonly string _path;
    private readonly byte[] _data;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private int _position;
    private int _containers;

    private PickleReader(string path, byte[] data)
    {
        _path = path;
        _data = data;
        // torch.save spends about 15 pickle bytes per container it makes (tuples of sizes, dicts, ...); a pickle that
        // asks for far more per byte is hostile, and refused before it makes the reader's memory grow out of proportion.
        _maxContainers = 1_000 + (data.Length / 4);
    }

    private readonly int _maxContainers;

    /// <summary>Interprets a whole pickle and returns its value.</summary>
    public static object? Read(string path, byte[] data) => new PickleReader(path, data).Run();

    private object? Run()
    {
        while (true)
        {
            if (_position >= _data.Length)
            {
                throw Error("the pickle ends without its STOP opcode (truncated)");
            }

            int at = _position;
            byte op = _data[_position++];
            switch (op)
            {
                case 0x80: // PROTO
                    byte protocol = Byte();
                    if (protocol > 5)
                    {
                        throw Error($"pickle protocol {protocol} is newer than 5");
                    }

                    break;
                case 0x95: // FRAME: a length hint only
                    Bytes(8);
                    break;
                case (byte)'.': // STOP
                    if (_stack.Count != 1 || _marks.Count != 0)
                    {
                        throw Error($"STOP leaves {_stack.Count} values on the stack");
                    }

                    return _stack[0];
                case (byte)'(': // MARK
                    _marks.Push(_stack.Count);
                    Push(s_mark);
                    break;
                case (byte)'}': // EMPTY_DICT
                    Count();
                    Push(new PickleDict());
                    break;
                case (byte)']': // EMPTY_LIST
                    Count();
                    Push(new List<object?>());
                    break;
                case (byte)')': // EMPTY_TUPLE
                    Push(new PickleTuple([]));
                    break;
                case (byte)'t': // TUPLE
                    Count();
                    Push(new PickleTuple(PopToMark().ToArray()));
                    break;
                case 0x85: // TUPLE1
                case 0x86: // TUPLE2
                case 0x87: // TUPLE3
                    int n = op - 0x84;
                    Count();
                    Push(new PickleTuple(PopN(n)));
                    break;
                case (byte)'q': // BINPUT
                    _memo[Byte()] = Peek();
                    break;
                case (byte)'r': // LONG_BINPUT
                    _memo[UInt32()] = Peek();
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Peek();
                    break;
                case (byte)'h': // BINGET
                    Push(Memo(Byte()));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(Memo(UInt32()));
                    break;
                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4)));
                    break;
                case (byte)'K': // BININT1
                    Push((long)Byte());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2)));
                    break;
                case 0x8a: // LONG1
                    Push(Long(Bytes(Byte())));
                    break;
                case 0x8b: // LONG4
                    Push(Long(Bytes(Length(UInt32()))));
                    break;
                case (byte)'G': // BINFLOAT (big-endian)
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8)));
                    break;
                case 0x88: // NEWTRUE
                    Push(true);
                    break;
                case 0x89: // NEWFALSE
                    Push(false);
                    break;
                case (byte)'N': // NONE
                    Push(null);
                    break;
                case (byte)'X': // BINUNICODE
                    Push(Utf8(Bytes(Length(UInt32()))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(Utf8(Bytes(Byte())));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(Utf8(Bytes(Length(UInt64()))));
                    break;
                case (byte)'T': // BINSTRING
                    Push(Encoding.Latin1.GetString(Bytes(Length(UInt32()))));
                    break;
                case (byte)'U': // SHORT_BINSTRING
                    Push(Encoding.Latin1.GetString(Bytes(Byte())));
                    break;
                case (byte)'B': // BINBYTES
                    Push(Bytes(Length(UInt32())).ToArray());
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    Push(Bytes(Byte()).ToArray());
                    break;
                case 0x8e: // BINBYTES8
                    Push(Bytes(Length(UInt64())).ToArray());
                    break;
                case (byte)'c': // GLOBAL module\nname\n
                    string module = Line();
                    Push(Global(module, Line()));
                    break;
                case 0x93: // STACK_GLOBAL
                    object?[] names = PopN(2);
                    if (names[0] is not string m || names[1] is not string name)
                    {
                        throw Error("STACK_GLOBAL needs two strings");
                    }

                    Push(Global(m, name));
                    break;
                case (byte)'R': // REDUCE callable(*args)
                    object?[] callAndArgs = PopN(2);
                    Push(Call(callAndArgs[0], callAndArgs[1], at));
                    break;
                case 0x81: // NEWOBJ cls.__new__(cls, *args)
                    object?[] clsAndArgs = PopN(2);
                    Push(clsAndArgs[0] is PickleForbidden f ? f : throw Error($"NEWOBJ of {Describe(clsAndArgs[0])}: a weights-only checkpoint instantiates no class"));
                    break;
                case (byte)'b': // BUILD obj.__setstate__(state)
                    object? state = Pop();
                    object? target = Peek();
                    // An OrderedDict state dict carries its '_metadata' attribute this way (unused by loading);
                    // building a forbidden object leaves it forbidden. Nothing else is built.
                    if (target is not (PickleDict or PickleForbidden))
                    {
                        throw Error($"BUILD on {Describe(target)} (state {Describe(state)})");
                    }

                    break;
                case (byte)'Q': // BINPERSID
                    Push(PersistentLoad(Pop()));
                    break;
                case (byte)'s': // SETITEM
                    object?[] keyValue = PopN(2);
                    AsDict(Peek(), "SETITEM").Items.Add(new(keyValue[0], keyValue[1]));
                    break;
                case (byte)'u': // SETITEMS
                    List<object?> pairs = PopToMark();
                    if (pairs.Count % 2 != 0)
                    {
                        throw Error("SETITEMS with an odd number of values");
                    }

                    PickleDict dict = AsDict(Peek(), "SETITEMS");
                    for (int i = 0; i < pairs.Count; i += 2)
                    {
                        dict.Items.Add(new(pairs[i], pairs[i + 1]));
                    }

                    break;
                case (byte)'a': // APPEND
                    object? item = Pop();
                    AsList(Peek()).Add(item);
                    break;
                case (byte)'e': // APPENDS
                    List<object?> items = PopToMark();
                    AsList(Peek()).AddRange(items);
                    break;
                case (byte)'0': // POP
                    Pop();
                    break;
                case (byte)'1': // POP_MARK
                    PopToMark();
                    break;
                case (byte)'2': // DUP
                    Push(Peek());
                    break;
                default:
                    throw Error($"unknown or unsupported pickle opcode 0x{op:x2} at byte {at} (a weights-only checkpoint does not use it)");
            }
        }
    }

    private object Global(string module, string name)
    {
        string full = module + "." + name;
        return AllowedGlobals.Contains(full) ? new PickleGlobal(module, name) : new PickleForbidden(full);
    }

    private object Call(object? callable, object? args, int at)
    {
        if (callable is PickleForbidden forbidden)
        {
            return forbidden; // never called: the placeholder stands for the result
        }

        if (args is not PickleTuple tuple)
        {
            throw Error($"REDUCE at byte {at} with arguments that are not a tuple");
        }

        // A forbidden argument (a class instance given to an allowed function) taints the result.
        if (tuple.Items.OfType<PickleForbidden>().FirstOrDefault() is { } taint)
        {
            return taint;
        }

        switch ((callable as PickleGlobal)?.FullName)
        {
            case "collections.OrderedDict":
                if (tuple.Items.Length != 0)
                {
                    throw Error("collections.OrderedDict is called with arguments; torch.save calls it with none");
                }

                Count();
                return new PickleDict();
            case "torch._utils._rebuild_tensor_v2":
                Count();
                return RebuildTensor(tuple.Items);
            case "torch._utils._rebuild_parameter":
                return tuple.Items.Length >= 1 && tuple.Items[0] is PickleTensor parameter
                    ? parameter
                    : throw Error("torch._utils._rebuild_parameter needs a tensor");
            default:
                throw Error($"REDUCE at byte {at} calls {Describe(callable)}, which is not callable in a weights-only checkpoint");
        }
    }

    private PickleTensor RebuildTensor(object?[] args)
    {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (args.Length < 4 || args[0] is not PickleStorage storage || args[1] is not long offset
            || args[2] is not PickleTuple size || args[3] is not PickleTuple stride)
        {
            throw Error("torch._utils._rebuild_tensor_v2 needs (storage, offset, size tuple, stride tuple, ...)");
        }

        long[] sizes = Integers(size, "size");
        long[] strides = Integers(stride, "stride");
        if (sizes.Length != strides.Length || offset < 0)
        {
            throw Error($"a tensor with size ({string.Join(", ", sizes)}), stride ({string.Join(", ", strides)}) and offset {offset} is malformed");
        }

        return new PickleTensor(storage, offset, sizes, strides);
    }

    private long[] Integers(PickleTuple tuple, string what) =>
        tuple.Items.Select(i => i is long v && v >= 0 ? v : throw Error($"a tensor {what} holds {Describe(i)}, not a non-negative integer")).ToArray();

    private PickleStorage PersistentLoad(object? pid)
    {
        // ('storage', torch.FloatStorage, key, location, numel)
        if (pid is not PickleTuple { Items: [string tag, var type, string key, string, long count] } || tag != "storage")
        {
            throw Error($"a persistent id {Describe(pid)} is not ('storage', type, key, location, numel)");
        }

        if (type is PickleForbidden forbiddenType)
        {
            throw Error($"a storage of type '{forbiddenType.Global}', which is not a torch.*Storage type");
        }

        if (type is not PickleGlobal { Module: "torch" } g || !StorageTypes.TryGetValue(g.Name, out var dtype) || count < 0)
        {
            throw Error($"a storage of type {Describe(type)} with {count} elements");
        }

        return new PickleStorage(key, dtype.Type, dtype.Size, count);
    }

    private static long Long(ReadOnlySpan<byte> bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : throw new OverflowException($"the integer {value} does not fit in 64 bits");
    }

    private void Push(object? value)
    {
        if (_stack.Count >= MaxStack)
        {
            throw Error($"the pickle nests deeper than {MaxStack} values at byte {_position} (a state dict needs a handful)");
        }

        _stack.Add(value);
    }

    private void Count()
    {
        if (++_containers > _maxContainers)
        {
            throw Error($"the pickle makes more than {_maxContainers} containers in {_data.Length} bytes (torch.save needs far fewer)");
        }
    }

    private object? Pop()
    {
        object? value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek()
    {
        int top = _stack.Count - 1;
        if (top < 0 || (_marks.Count > 0 && _marks.Peek() == top))
        {
            throw Error("an opcode needs a value but the stack is empty");
        }

        return _stack[top];
    }

    private object?[] PopN(int n)
    {
        var values = new object?[n];
        for (int i = n - 1; i >= 0; i--)
        {
            values[i] = Pop();
        }

        return values;
    }

    private List<object?> PopToMark()
    {
        if (_marks.Count == 0)
        {
            throw Error("an opcode needs a MARK but there is none");
        }

        int mark = _marks.Pop();
        List<object?> values = _stack.GetRange(mark + 1, _stack.Count - mark - 1);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return values;
    }

    private object? Memo(long key) => _memo.TryGetValue(key, out object? value) ? value : throw Error($"memo entry {key} is read before it is written");

    private PickleDict AsDict(object? value, string op) =>
        value as PickleDict ?? throw Error($"{op} on {Describe(value)}, not a dict");

    private List<object?> AsList(object? value) => value as List<object?> ?? throw Error($"APPEND on {Describe(value)}, not a list");

    private byte Byte() => Bytes(1)[0];

    private uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

    private ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));

    /// <summary>A claimed length, refused before anything is allocated when the pickle has fewer bytes left.</summary>
    private int Length(ulong length) =>
        length <= (ulong)(_data.Length - _position) ? (int)length : throw Error($"a length of {length} bytes at byte {_position} exceeds the {_data.Length - _position} bytes left");

    private ReadOnlySpan<byte> Bytes(int count)
    {
        if (count > _data.Length - _position)
        {
            throw Error($"the pickle is truncated at byte {_position}");
        }

        var span = new ReadOnlySpan<byte>(_data, _position, count);
        _position += count;
        return span;
    }

    private string Line()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _position);
        if (end < 0)
        {
            throw Error("a GLOBAL name has no end of line");
        }

        string line = Encoding.UTF8.GetString(_data, _position, end - _position);
        _position = end + 1;
        return line;
    }

    private string Utf8(ReadOnlySpan<byte> bytes) =>
        System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : throw Error($"a string before byte {_position} is not valid UTF-8");

    public static string Describe(object? value) => value switch
    {
        null => "None",
        PickleGlobal g => $"'{g.FullName}'",
        PickleForbidden f => $"'{f.Global}'",
        string s => $"the string '{(s.Length > 40 ? s[..40] + "..." : s)}'",
        long or double or bool => string.Create(CultureInfo.InvariantCulture, $"{value}"),
        _ => "a " + value.GetType().Name.Replace("Pickle", string.Empty, StringComparison.Ordinal).ToLowerInvariant(),
    };

    private CheckpointException Error(string message) => new(_path, $"the pickle (data.pkl) is malformed or not weights-only: {message}.");
}
