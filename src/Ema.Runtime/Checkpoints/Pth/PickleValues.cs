using static TorchSharp.torch;

namespace Ema;

// The values PickleReader builds. Nothing here runs code or constructs a type named by the pickle: an allowed global
// becomes data (a dict, a set, a tensor descriptor, an opaque object), any other global a PickleForbidden
// placeholder that refuses the whole file once the pickle is read.

/// <summary>A global on the allow-list, not yet called (<c>collections.OrderedDict</c>, a <c>torch.*Storage</c> type, <c>builtins.float</c>, ...).</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
}

/// <summary>
/// A global off the allow-list, or anything made from one (called, built, instantiated): a placeholder that
/// remembers the global's name, so that the reader can say in which entry it sits before it refuses the file.
/// </summary>
internal sealed record PickleForbidden(string Global);

/// <summary>A Python tuple.</summary>
internal sealed record PickleTuple(object?[] Items);

/// <summary>A Python dict, <c>collections.OrderedDict</c>, <c>defaultdict</c> or <c>Counter</c>, in insertion order.</summary>
internal sealed class PickleDict
{
    public List<KeyValuePair<object?, object?>> Items { get; } = [];
}

/// <summary>A Python set or frozenset (its items in pickle order).</summary>
internal sealed class PickleSet(bool frozen)
{
    public bool Frozen { get; } = frozen;

    public List<object?> Items { get; } = [];
}

/// <summary>
/// An instance of an inert class (<c>argparse.Namespace</c>, a class added with <see cref="PthSafeGlobals.Add"/>, ...)
/// kept as data: the class's name, the constructor arguments and the state BUILD gave it, and the items of a
/// dict or list subclass. Never constructed in any runtime.
/// </summary>
internal sealed class PickleObject(string type, object?[] arguments)
{
    public string Type { get; } = type;

    public object?[] Arguments { get; } = arguments;

    public object? State { get; set; }

    public PickleDict Dict { get; } = new();

    public List<object?> List { get; } = [];
}

/// <summary>A <c>numpy.dtype</c> by its type code (<c>f8</c>, <c>i4</c>, ...) and byte order (<c>&lt;</c>, <c>&gt;</c>, <c>|</c>, <c>=</c>).</summary>
internal sealed class PickleNumpyDtype(string code)
{
    public string Code { get; } = code;

    public string ByteOrder { get; set; } = "=";
}

/// <summary>A storage named by a persistent id <c>('storage', torch.FloatStorage, key, location, numel)</c>.</summary>
internal sealed record PickleStorage(string Key, ScalarType Type, int ElementSize, long Count);

/// <summary>A tensor from <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)</c>; offset and strides in elements.</summary>
internal sealed record PickleTensor(PickleStorage Storage, long Offset, long[] Size, long[] Stride);
