// Over 300 lines on purpose: a pickle machine is one opcode switch over one stack and memo, and its allocation
// budget is checked in the same loop; split, the opcode table and the budget it must respect would live apart.
// The allow-list is PickleAllowList.cs, the value types PickleValues.cs, the walk for refusals PickleWalk.cs.
using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// A pickle interpreter for the <c>data.pkl</c> of a PyTorch archive, with one rule, as
/// <c>torch.load(weights_only=True)</c> has it: a pickle that names a global off the allow-list
/// (<see cref="PickleAllowList"/>, <see cref="PthSafeGlobals"/>) is refused wherever the global sits, naming the global
/// and the entry. The allowed globals become plain data (<see cref="PickleDict"/>, <see cref="PickleTensor"/>,
/// <see cref="PickleObject"/>, ...): nothing is ever imported, constructed or called.
/// </summary>
/// <remarks>
/// Why not TorchSharp.PyBridge or Razorvine.Pickle: their unpicklers construct every object as they go and read every
/// storage into memory while unpickling; checking the header against the model first and streaming the data
/// afterwards needs descriptors, not tensors. Every length is checked against the bytes left, there is no recursion
/// (no depth to exhaust), and the memory the reader allocates is measured as it goes and bounded by a multiple of the
/// pickle's size (<see cref="MaxBytesPerPickleByte"/>).
/// </remarks>
internal sealed class PickleReader
{
    /// <summary>The built-in allow-list, by full name.</summary>
    public static IReadOnlyCollection<string> AllowedGlobals => PickleAllowList.BuiltInNames;

    /// <inheritdoc cref="PickleAllowList.StorageTypes"/>
    public static IReadOnlyDictionary<string, (ScalarType Type, int Size)> StorageTypes => PickleAllowList.StorageTypes;

    /// <summary>
    /// The most the reader allocates per byte of pickle, plus <see cref="BaseAllowance"/>. State dicts pickled by
    /// torch.save take about 9 (a tensor's ~130 pickle bytes become its name in UTF-16, sizes, strides, descriptor and
    /// memo entries: 9.3x measured for 20,000 tensors); a pickle that asks for more per byte (millions of empty
    /// lists, sets or memo entries) is refused when it reaches the bound.
    /// </summary>
    public const int MaxBytesPerPickleByte = 16;

    /// <summary>What any pickle may allocate, whatever its size (the first collections, the first strings).</summary>
    public const long BaseAllowance = 1 << 20;

    private static readonly object s_mark = new();
    private static readonly PickleTuple s_emptyTuple = new([]);
    private static readonly object[] s_smallIntegers = Enumerable.Range(0, 1024).Select(i => (object)(long)i).ToArray();
    private static readonly object s_true = true;
    private static readonly object s_false = false;

    /// <summary>A state dict's pickle keeps a handful of values on the stack; deep nesting is refused before it costs memory.</summary>
    private const int MaxStack = 10_000;

    /// <summary>How many opcodes run between two measurements of the memory allocated.</summary>
    private const int OpsPerMeasurement = 256;

    private readonly string _path;
    private readonly byte[] _data;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly List<object?> _memo = [];
    private readonly Dictionary<long, object?> _sparseMemo = [];
    private readonly Dictionary<string, PickleStorage> _storages = new(StringComparer.Ordinal);
    private readonly long _allocatedAtStart;
    private readonly long _maxAllocated;
    private int _position;
    private PickleForbidden? _firstForbidden;
    private int _firstForbiddenAt;

    private PickleReader(string path, byte[] data)
    {
        _path = path;
        _data = data;
        _allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
        _maxAllocated = BaseAllowance + ((long)MaxBytesPerPickleByte * data.Length);
    }

    /// <summary>Bytes allocated by the reader so far (its own accounting, also read by tests).</summary>
    private long Allocated => GC.GetAllocatedBytesForCurrentThread() - _allocatedAtStart;

    /// <summary>Interprets a whole pickle and returns its value; refuses it if it names a global off the allow-list.</summary>
    public static object? Read(string path, byte[] data)
    {
        var reader = new PickleReader(path, data);
        object? root = reader.Run();
        reader.RefuseForbidden(root);
        return root;
    }

    private object? Run()
    {
        int ops = 0;
        while (true)
        {
            if (_position >= _data.Length)
            {
                throw Error("the pickle ends without its STOP opcode (truncated)");
            }

            if (++ops % OpsPerMeasurement == 0)
            {
                CheckMemory();
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

                    CheckMemory();
                    return _stack[0];
                case (byte)'(': // MARK
                    _marks.Push(_stack.Count);
                    Push(s_mark);
                    break;
                case (byte)'}': // EMPTY_DICT
                    Push(new PickleDict());
                    break;
                case (byte)']': // EMPTY_LIST
                    Push(new List<object?>());
                    break;
                case 0x8f: // EMPTY_SET
                    Push(new PickleSet(frozen: false));
                    break;
                case (byte)')': // EMPTY_TUPLE
                    Push(s_emptyTuple);
                    break;
                case (byte)'t': // TUPLE
                    object?[] tupleItems = PopToMark();
                    Push(tupleItems.Length == 0 ? s_emptyTuple : new PickleTuple(tupleItems));
                    break;
                case 0x85: // TUPLE1
                case 0x86: // TUPLE2
                case 0x87: // TUPLE3
                    Push(new PickleTuple(PopN(op - 0x84)));
                    break;
                case 0x91: // FROZENSET
                    var frozen = new PickleSet(frozen: true);
                    frozen.Items.AddRange(PopToMark());
                    Push(frozen);
                    break;
                case (byte)'q': // BINPUT
                    Memoize(Byte());
                    break;
                case (byte)'r': // LONG_BINPUT
                    Memoize(UInt32());
                    break;
                case 0x94: // MEMOIZE
                    Memoize(_memo.Count);
                    break;
                case (byte)'h': // BINGET
                    Push(Memo(Byte()));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(Memo(UInt32()));
                    break;
                case (byte)'J': // BININT
                    Push(Integer(BinaryPrimitives.ReadInt32LittleEndian(Bytes(4))));
                    break;
                case (byte)'K': // BININT1
                    Push(Integer(Byte()));
                    break;
                case (byte)'M': // BININT2
                    Push(Integer(BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2))));
                    break;
                case 0x8a: // LONG1
                    Push(Long(Bytes(Byte())));
                    break;
                case 0x8b: // LONG4
                    Push(Long(Bytes(Reserved(Length(UInt32()), 1))));
                    break;
                case (byte)'G': // BINFLOAT (big-endian)
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8)));
                    break;
                case 0x88: // NEWTRUE
                    Push(s_true);
                    break;
                case 0x89: // NEWFALSE
                    Push(s_false);
                    break;
                case (byte)'N': // NONE
                    Push(null);
                    break;
                case (byte)'X': // BINUNICODE
                    Push(Utf8(Bytes(Reserved(Length(UInt32()), 2))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(Utf8(Bytes(Byte())));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(Utf8(Bytes(Reserved(Length(UInt64()), 2))));
                    break;
                case (byte)'T': // BINSTRING
                    Push(Encoding.Latin1.GetString(Bytes(Reserved(Length(UInt32()), 2))));
                    break;
                case (byte)'U': // SHORT_BINSTRING
                    Push(Encoding.Latin1.GetString(Bytes(Byte())));
                    break;
                case (byte)'B': // BINBYTES
                    Push(Bytes(Reserved(Length(UInt32()), 1)).ToArray());
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    Push(Bytes(Byte()).ToArray());
                    break;
                case 0x8e: // BINBYTES8
                case 0x96: // BYTEARRAY8
                    Push(Bytes(Reserved(Length(UInt64()), 1)).ToArray());
                    break;
                case (byte)'c': // GLOBAL module\nname\n
                    string module = Line();
                    Push(Global(module, Line(), at));
                    break;
                case 0x93: // STACK_GLOBAL
                    object? globalName = Pop();
                    if (Pop() is not string m || globalName is not string name)
                    {
                        throw Error("STACK_GLOBAL needs two strings");
                    }

                    Push(Global(m, name, at));
                    break;
                case (byte)'R': // REDUCE callable(*args)
                    object? callArgs = Pop();
                    Push(Call(Pop(), callArgs, at));
                    break;
                case 0x81: // NEWOBJ cls.__new__(cls, *args)
                    object? newArgs = Pop();
                    Push(Instantiate(Pop(), newArgs, at));
                    break;
                case 0x92: // NEWOBJ_EX cls.__new__(cls, *args, **kwargs)
                    Pop(); // kwargs
                    object? newExArgs = Pop();
                    Push(Instantiate(Pop(), newExArgs, at));
                    break;
                case (byte)'b': // BUILD obj.__setstate__(state)
                    Build(Pop(), Peek(), at);
                    break;
                case (byte)'Q': // BINPERSID
                    Push(PersistentLoad(Pop()));
                    break;
                case (byte)'s': // SETITEM
                    object? setValue = Pop();
                    object? setKey = Pop();
                    PickleDict target1 = AsDict(Peek(), "SETITEM");
                    Grow(target1.Items, 1, 16);
                    target1.Items.Add(new(setKey, setValue));
                    break;
                case (byte)'u': // SETITEMS
                    (int pairsStart, int pairsCount) = MarkedRange();
                    if (pairsCount % 2 != 0)
                    {
                        throw Error("SETITEMS with an odd number of values");
                    }

                    PickleDict dict = AsDict(BelowMark(pairsStart), "SETITEMS");
                    Grow(dict.Items, pairsCount / 2, 16);
                    for (int i = pairsStart; i < pairsStart + pairsCount; i += 2)
                    {
                        dict.Items.Add(new(_stack[i], _stack[i + 1]));
                    }

                    DropMarked(pairsStart);
                    break;
                case (byte)'a': // APPEND
                    object? item = Pop();
                    List<object?> list1 = AsList(Peek(), "APPEND");
                    Grow(list1, 1, 8);
                    list1.Add(item);
                    break;
                case (byte)'e': // APPENDS
                    (int itemsStart, int itemsCount) = MarkedRange();
                    List<object?> list2 = AsList(BelowMark(itemsStart), "APPENDS");
                    Grow(list2, itemsCount, 8);
                    for (int i = itemsStart; i < itemsStart + itemsCount; i++)
                    {
                        list2.Add(_stack[i]);
                    }

                    DropMarked(itemsStart);
                    break;
                case 0x90: // ADDITEMS
                    object?[] added = PopToMark();
                    PickleSet set1 = Peek() as PickleSet ?? throw Error($"ADDITEMS on {Describe(Peek())}, not a set");
                    Grow(set1.Items, added.Length, 8);
                    set1.Items.AddRange(added);
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
                    throw Error($"unknown or unsupported pickle opcode 0x{op:x2} at byte {at} (torch.save does not write it)");
            }
        }
    }

    private object Global(string module, string name, int at)
    {
        (module, name) = PickleAllowList.MapPython2(module, name);
        string full = module + "." + name;
        if (PickleAllowList.KindOf(full) is not null)
        {
            return new PickleGlobal(module, name);
        }

        // Not refused here: the whole pickle is read first, so that the message can name the entry it sits in.
        var forbidden = new PickleForbidden(full);
        if (_firstForbidden is null)
        {
            _firstForbidden = forbidden;
            _firstForbiddenAt = at;
        }

        return forbidden;
    }

    private static PickleGlobalKind KindOf(PickleGlobal global) => PickleAllowList.KindOf(global.FullName)!.Value;

    private object? Call(object? callable, object? args, int at)
    {
        if (callable is PickleForbidden forbidden)
        {
            return forbidden; // never called: the placeholder stands for the result
        }

        if (args is not PickleTuple tuple)
        {
            throw Error($"REDUCE at byte {at} with arguments that are not a tuple");
        }

        // A forbidden argument (a class instance given to an allowed function) stands for the result too.
        foreach (object? argument in tuple.Items)
        {
            if (argument is PickleForbidden taint)
            {
                return taint;
            }
        }

        if (callable is not PickleGlobal global)
        {
            throw Error($"REDUCE at byte {at} calls {Describe(callable)}, which is not a global");
        }

        object?[] a = tuple.Items;
        switch (KindOf(global))
        {
            case PickleGlobalKind.Dict:
                return NewDict(global, a);
            case PickleGlobalKind.Set:
            case PickleGlobalKind.FrozenSet:
                var set = new PickleSet(KindOf(global) == PickleGlobalKind.FrozenSet);
                if (a is [var source])
                {
                    Reserve((source is List<object?> l ? l.Count : source is PickleTuple t ? t.Items.Length : 0) * 8L);
                    set.Items.AddRange(Iterable(source, global));
                }
                else if (a.Length != 0)
                {
                    throw Error($"{global.FullName} is called with {a.Length} arguments");
                }

                return set;
            case PickleGlobalKind.Complex:
                return a is [var re, var im] && Real(re) is { } real && Real(im) is { } imaginary
                    ? new Complex(real, imaginary)
                    : throw Error("builtins.complex needs (real, imaginary) numbers");
            case PickleGlobalKind.Bytes:
                return a switch
                {
                    [] => Array.Empty<byte>(),
                    [byte[] bytes] => bytes,
                    [string text] => Encoding.Latin1.GetBytes(text),
                    [string text, string encoding] when encoding is "latin1" or "latin-1" => Latin1(text),
                    _ => throw Error($"{global.FullName} is called with {Describe(a.FirstOrDefault())} (bytes are pickled as _codecs.encode(text, 'latin1'))"),
                };
            case PickleGlobalKind.Size:
                return a is [PickleTuple sizes] ? sizes : throw Error("torch.Size needs a tuple");
            case PickleGlobalKind.Device:
                return a is [string device, ..] ? device : throw Error("torch.device needs a string");
            case PickleGlobalKind.RebuildTensor:
                return RebuildTensor(a);
            case PickleGlobalKind.RebuildParameter:
                return a is [PickleTensor parameter, ..] ? parameter : throw Error($"{global.FullName} needs a tensor");
            case PickleGlobalKind.RebuildFromType:
                // (function, type, arguments, state): the function rebuilds the tensor; the type is torch.Tensor or Parameter.
                return a is [PickleGlobal function, PickleGlobal { FullName: "torch.Tensor" or "torch.nn.parameter.Parameter" }, var arguments, ..]
                    ? Call(function, arguments, at)
                    : throw Error("torch._tensor._rebuild_from_type_v2 needs (rebuild function, torch.Tensor or Parameter, arguments, state)");
            case PickleGlobalKind.NumpyDtype:
                return a is [string code, ..] ? new PickleNumpyDtype(code) : throw Error("numpy.dtype needs a type code");
            case PickleGlobalKind.NumpyScalar:
                return a is [PickleNumpyDtype dtype, byte[] value] ? NumpyScalar(dtype, value) : throw Error("numpy's scalar needs (dtype, bytes)");
            case PickleGlobalKind.Inert:
                return new PickleObject(global.FullName, a);
            default:
                throw Error($"REDUCE at byte {at} calls '{global.FullName}', which the allow-list holds as a value, not as something to call");
        }
    }

    private object? Instantiate(object? cls, object? args, int at) => cls switch
    {
        PickleForbidden forbidden => forbidden,
        PickleGlobal g when KindOf(g) == PickleGlobalKind.Inert => new PickleObject(g.FullName, (args as PickleTuple)?.Items ?? []),
        PickleGlobal g when KindOf(g) is PickleGlobalKind.Dict or PickleGlobalKind.Set or PickleGlobalKind.FrozenSet =>
            Call(g, s_emptyTuple, at), // filled by SETITEMS / ADDITEMS afterwards
        _ => throw Error($"NEWOBJ at byte {at} of {Describe(cls)}: only inert classes are instantiated (as data)"),
    };

    private void Build(object? state, object? target, int at)
    {
        switch (target)
        {
            case PickleDict or PickleForbidden or PickleTensor or PickleSet:
                // An OrderedDict state dict carries its '_metadata' attribute this way, a tensor its Python attributes
                // (unused by loading); building a forbidden object leaves it forbidden.
                break;
            case PickleObject inert:
                inert.State = state;
                break;
            case PickleNumpyDtype dtype:
                // (version, byte order, subarray, names, fields, element size, alignment, flags)
                if (state is PickleTuple { Items: [_, string order, ..] })
                {
                    dtype.ByteOrder = order;
                }

                break;
            default:
                throw Error($"BUILD at byte {at} on {Describe(target)} (state {Describe(state)})");
        }
    }

    private PickleDict NewDict(PickleGlobal global, object?[] a)
    {
        var dict = new PickleDict();
        object? items = global.Name switch
        {
            // defaultdict(factory): the factory is a type, kept nowhere (the dict is read as a plain dict).
            "defaultdict" when a is [] or [null or PickleGlobal] => null,
            "defaultdict" when a is [null or PickleGlobal, var initial] => initial,
            "OrderedDict" or "Counter" when a is [] => null,
            "OrderedDict" or "Counter" when a is [var initial] => initial,
            _ => throw Error($"{global.FullName} is called with {a.Length} arguments {string.Join(", ", a.Select(Describe))}"),
        };
        switch (items)
        {
            case null:
                break;
            case PickleDict source:
                Grow(dict.Items, source.Items.Count, 16);
                dict.Items.AddRange(source.Items);
                break;
            default:
                foreach (object? pair in Iterable(items, global))
                {
                    (object? Key, object? Value)? kv = PairOf(pair);
                    dict.Items.Add(kv is var (key, value)
                        ? new(key, value)
                        : throw Error($"{global.FullName} is given {Describe(pair)}, not a (key, value) pair"));
                }

                break;
        }

        return dict;
    }

    private static (object? Key, object? Value)? PairOf(object? pair) => pair switch
    {
        PickleTuple { Items: [var k, var v] } => (k, v),
        List<object?> { Count: 2 } list => (list[0], list[1]),
        _ => null,
    };

    private IEnumerable<object?> Iterable(object? source, PickleGlobal global) => source switch
    {
        List<object?> list => list,
        PickleTuple tuple => tuple.Items,
        PickleSet set => set.Items,
        _ => throw Error($"{global.FullName} is given {Describe(source)}, not a list or tuple"),
    };

    private static double? Real(object? value) => value switch
    {
        double d => d,
        long l => l,
        _ => null,
    };

    private byte[] Latin1(string text) =>
        text.All(c => c <= '\u00ff') ? Encoding.Latin1.GetBytes(text) : throw Error("_codecs.encode is given a string beyond latin-1");

    /// <summary>A numpy scalar as the number it holds (numpy's metrics in SuperGradients' checkpoints), or opaque data for other kinds.</summary>
    private object NumpyScalar(PickleNumpyDtype dtype, byte[] value)
    {
        bool bigEndian = dtype.ByteOrder == ">";
        (char kind, int size) = dtype.Code is [char k, .. var digits] && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? (k, n) : ('?', 0);
        if (value.Length != size)
        {
            return new PickleObject("numpy scalar " + dtype.Code, [dtype.Code, value]);
        }

        ReadOnlySpan<byte> b = value;
        return (kind, size, bigEndian) switch
        {
            ('f', 8, false) => BinaryPrimitives.ReadDoubleLittleEndian(b),
            ('f', 8, true) => BinaryPrimitives.ReadDoubleBigEndian(b),
            ('f', 4, false) => (double)BinaryPrimitives.ReadSingleLittleEndian(b),
            ('f', 4, true) => (double)BinaryPrimitives.ReadSingleBigEndian(b),
            ('f', 2, false) => (double)BinaryPrimitives.ReadHalfLittleEndian(b),
            ('f', 2, true) => (double)BinaryPrimitives.ReadHalfBigEndian(b),
            ('i', 8, false) => BinaryPrimitives.ReadInt64LittleEndian(b),
            ('i', 8, true) => BinaryPrimitives.ReadInt64BigEndian(b),
            ('i', 4, false) => (long)BinaryPrimitives.ReadInt32LittleEndian(b),
            ('i', 4, true) => (long)BinaryPrimitives.ReadInt32BigEndian(b),
            ('i', 2, false) => (long)BinaryPrimitives.ReadInt16LittleEndian(b),
            ('i', 2, true) => (long)BinaryPrimitives.ReadInt16BigEndian(b),
            ('i', 1, _) => (long)(sbyte)b[0],
            ('u', 1, _) => (long)b[0],
            ('u', 2, false) => (long)BinaryPrimitives.ReadUInt16LittleEndian(b),
            ('u', 4, false) => (long)BinaryPrimitives.ReadUInt32LittleEndian(b),
            ('b', 1, _) => b[0] != 0,
            _ => new PickleObject("numpy scalar " + dtype.Code, [dtype.Code, value]),
        };
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

    private long[] Integers(PickleTuple tuple, string what)
    {
        var values = new long[tuple.Items.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = tuple.Items[i] is long v && v >= 0 ? v : throw Error($"a tensor {what} holds {Describe(tuple.Items[i])}, not a non-negative integer");
        }

        return values;
    }

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

        if (_storages.TryGetValue(key, out PickleStorage? declared))
        {
            // torch.save names a storage once per tensor that views it, always alike; two declarations that differ
            // would read one archive entry as two dtypes or lengths.
            return declared.Type == dtype.Type && declared.Count == count
                ? declared
                : throw Error(string.Create(CultureInfo.InvariantCulture,
                    $"the storage '{key}' is declared as {declared.Type} of {declared.Count} elements and again as {dtype.Type} of {count} elements"));
        }

        var storage = new PickleStorage(key, dtype.Type, dtype.Size, count);
        _storages[key] = storage;
        return storage;
    }

    private static object Integer(long value) => value is >= 0 and < 1024 ? s_smallIntegers[value] : value;

    /// <summary>A LONG1/LONG4 integer: a long when it fits in 64 bits (every tensor size does), a BigInteger otherwise.</summary>
    private static object Long(ReadOnlySpan<byte> bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? Integer((long)value) : value;
    }

    private void Push(object? value)
    {
        if (_stack.Count >= MaxStack)
        {
            throw Error($"the pickle nests deeper than {MaxStack} values at byte {_position} (a state dict needs a handful)");
        }

        _stack.Add(value);
    }

    /// <summary>Refuses the pickle once the reader has allocated more than its bound (measured, not estimated).</summary>
    private void CheckMemory() => Reserve(0);

    /// <summary>A length whose bytes (times <paramref name="bytesPerByte"/>: strings are UTF-16) are about to be allocated.</summary>
    private int Reserved(int length, int bytesPerByte)
    {
        Reserve((long)length * bytesPerByte);
        return length;
    }

    /// <summary>Before a collection grows: its new array is the largest single allocation an opcode makes.</summary>
    private void Grow<T>(List<T> list, int adding, int slotBytes)
    {
        if (list.Count + adding > list.Capacity)
        {
            Reserve((long)Math.Max(Math.Max(list.Count + adding, list.Capacity * 2), 4) * slotBytes);
        }
    }

    /// <summary>
    /// Refuses the pickle when the memory the reader allocated (measured by the runtime for this thread) plus what
    /// it is about to allocate passes the bound. Large allocations reserve first; small ones are measured every
    /// <see cref="OpsPerMeasurement"/> opcodes, so the bound holds to within a few kilobytes.
    /// </summary>
    private void Reserve(long bytes)
    {
        long allocated = Allocated + bytes;
        if (allocated > _maxAllocated)
        {
            throw Error(string.Create(CultureInfo.InvariantCulture,
                $"reading it took more than {_maxAllocated} bytes of memory by byte {_position} of {_data.Length} (the bound is {MaxBytesPerPickleByte} per pickle byte plus {BaseAllowance}; torch.save's pickles need far less: this one builds millions of small values)"));
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

    private object?[] PopToMark()
    {
        (int start, int count) = MarkedRange();
        object?[] values = count == 0 ? [] : new object?[count];
        _stack.CopyTo(start, values, 0, count);
        DropMarked(start);
        return values;
    }

    /// <summary>The values above the last MARK, read in place (no copy); <see cref="DropMarked"/> removes them and the mark.</summary>
    private (int Start, int Count) MarkedRange()
    {
        if (_marks.Count == 0)
        {
            throw Error("an opcode needs a MARK but there is none");
        }

        int mark = _marks.Pop();
        return (mark + 1, _stack.Count - mark - 1);
    }

    /// <summary>The value just below a MARK (the dict or list SETITEMS / APPENDS fill), as <see cref="Peek"/> would see it after the pop.</summary>
    private object? BelowMark(int start)
    {
        int index = start - 2;
        if (index < 0 || (_marks.Count > 0 && _marks.Peek() == index))
        {
            throw Error("an opcode needs a value but the stack is empty");
        }

        return _stack[index];
    }

    private void DropMarked(int start) => _stack.RemoveRange(start - 1, _stack.Count - start + 1);

    /// <summary>Python's picklers number memo entries 0, 1, 2, ...: a list holds them; other keys go to a dictionary.</summary>
    private void Memoize(long key)
    {
        object? value = Peek();
        if (key < _memo.Count)
        {
            _memo[(int)key] = value;
        }
        else if (key == _memo.Count && !_sparseMemo.ContainsKey(key))
        {
            Grow(_memo, 1, 8);
            _memo.Add(value);
        }
        else
        {
            if (_sparseMemo.Count >= 1024 && (_sparseMemo.Count & (_sparseMemo.Count - 1)) == 0)
            {
                Reserve(_sparseMemo.Count * 2L * 40); // the dictionary's next resize
            }

            _sparseMemo[key] = value;
        }
    }

    private object? Memo(long key) =>
        key < _memo.Count && !_sparseMemo.ContainsKey(key) ? _memo[(int)key]
        : _sparseMemo.TryGetValue(key, out object? value) ? value
        : throw Error($"memo entry {key} is read before it is written");

    private PickleDict AsDict(object? value, string op) => value switch
    {
        PickleDict dict => dict,
        PickleObject inert => inert.Dict, // a dict subclass
        _ => throw Error($"{op} on {Describe(value)}, not a dict"),
    };

    private List<object?> AsList(object? value, string op) => value switch
    {
        List<object?> list => list,
        PickleObject inert => inert.List, // a list subclass
        _ => throw Error($"{op} on {Describe(value)}, not a list"),
    };

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

        string line = Utf8(new ReadOnlySpan<byte>(_data, _position, end - _position));
        _position = end + 1;
        return line;
    }

    private string Utf8(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty ? string.Empty
        : System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes)
        : throw Error($"a string before byte {_position} is not valid UTF-8");

    /// <summary>
    /// Refuses the pickle when it named a global off the allow-list, naming the global and the entry it sits in
    /// (found by a walk of the value, without recursion), or its byte offset when the value no longer holds it.
    /// </summary>
    private void RefuseForbidden(object? root)
    {
        if (_firstForbidden is null)
        {
            return;
        }

        (PickleForbidden found, string? entry) = PickleWalk.FindForbidden(root) is { } located ? (located.Found, located.Entry) : (_firstForbidden, (string?)null);
        string where = entry is null
            ? string.Create(CultureInfo.InvariantCulture, $"at byte {_firstForbiddenAt} of the pickle")
            : $"in the entry '{entry}'";
        throw new CheckpointException(_path,
            $"the pickle names the global '{found.Global}' {where}, which is not on the allow-list of weights-only checkpoints; the file is refused, " +
            "as torch.load(weights_only=True) refuses it. If the file is trusted and the global is an inert data class, allow it with " +
            $"PthSafeGlobals.Add(\"{ModuleOf(found.Global)}\", \"{NameOf(found.Global)}\") (torch.serialization.add_safe_globals in PyTorch)." +
            (CheckpointLayouts.AdviceForGlobal(_path, found.Global) is { } advice ? " " + advice : string.Empty),
            entry);
    }

    private static string ModuleOf(string full) => full.LastIndexOf('.') is > 0 and var dot ? full[..dot] : full;

    private static string NameOf(string full) => full.LastIndexOf('.') is > 0 and var dot ? full[(dot + 1)..] : full;

    public static string Describe(object? value) => value switch
    {
        null => "None",
        PickleGlobal g => $"'{g.FullName}'",
        PickleForbidden f => $"'{f.Global}'",
        PickleObject o => $"a '{o.Type}' object",
        string s => $"the string '{(s.Length > 40 ? s[..40] + "..." : s)}'",
        long or double or bool => string.Create(CultureInfo.InvariantCulture, $"{value}"),
        BigInteger big => big.GetByteCount() > 32 ? $"an integer of {big.GetByteCount()} bytes" : big.ToString(CultureInfo.InvariantCulture),
        Complex c => string.Create(CultureInfo.InvariantCulture, $"the complex number {c}"),
        byte[] bytes => $"{bytes.Length} bytes",
        List<object?> list => $"a list of {list.Count}",
        PickleTuple tuple => $"a tuple of {tuple.Items.Length}",
        PickleDict dict => $"a dict of {dict.Items.Count}",
        PickleSet set => $"a {(set.Frozen ? "frozenset" : "set")} of {set.Items.Count}",
        _ => "a " + value.GetType().Name.Replace("Pickle", string.Empty, StringComparison.Ordinal).ToLowerInvariant(),
    };

    private CheckpointException Error(string message) => new(_path, $"the pickle (data.pkl) is malformed or not weights-only: {message}.");
}
