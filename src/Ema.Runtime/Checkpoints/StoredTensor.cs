using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// What a checkpoint's header says about one tensor, before any of its data is read: its name (as error messages
/// show it), dtype, shape and where its bytes lie in the file (little-endian, C order, contiguous).
/// </summary>
/// <param name="Name">The tensor's full name (<c>net.layer.weight</c>), for messages.</param>
/// <param name="Type">The stored dtype.</param>
/// <param name="Shape">The stored shape.</param>
/// <param name="Offset">The absolute file offset of the first byte.</param>
/// <param name="Length">The byte count: element count x element size.</param>
internal sealed record StoredTensor(string Name, ScalarType Type, long[] Shape, long Offset, long Length)
{
    /// <summary>Whether a value of this dtype may be loaded into a tensor of <paramref name="target"/>: the same dtype, or floating point to floating point.</summary>
    public bool ConvertsTo(ScalarType target) => Type == target || (FloatingDtypes.Contains(Type) && FloatingDtypes.Contains(target));
}
