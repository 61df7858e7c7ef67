using static TorchSharp.torch;

namespace Ema;

// The values PickleReader builds. Nothing here runs code or constructs a type named by the pickle: an allowed global
// becomes data (a dict, a tensor descriptor), any other global a PickleForbidden placeholder.

/// <summary>A global on the allow-list, not yet called (<c>collections.OrderedDict</c>, a <c>torch.*Storage</c> type, ...).</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
}

/// <summary>
/// A global off the allow-list, or anything made from one (called, built, instantiated): a placeholder that
/// remembers the global's name. Reading it as a value refuses the file; an entry nobody reads is skipped unbuilt.
/// </summary>
internal sealed record PickleForbidden(string Global);

/// <summary>A Python tuple.</summary>
internal sealed record PickleTuple(object?[] Items);

/// <summary>A Python dict or <c>collections.OrderedDict</c>, in insertion order.</summary>
internal sealed class PickleDict
{
    public List<KeyValuePair<object?, object?>> Items { get; } = [];
}

/// <summary>A storage named by a persistent id <c>('storage', torch.FloatStorage, key, location, numel)</c>.</summary>
internal sealed record PickleStorage(string Key, ScalarType Type, int ElementSize, long Count);

/// <summary>A tensor from <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)</c>; offset and strides in elements.</summary>
internal sealed record PickleTensor(PickleStorage Storage, long Offset, long[] Size, long[] Stride);
