using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// The one table of the dtypes a checkpoint may hold: each TorchSharp dtype with its safetensors name, its PyTorch
/// storage type (what a <c>.pth</c>'s persistent ids name) and its element size. <see cref="SafetensorsDtype"/> and
/// the <c>.pth</c> reader and writer (<see cref="PickleAllowList.StorageTypes"/>) read it, so the two formats cannot
/// disagree on a size.
/// </summary>
internal static class TensorDtypes
{
    /// <summary>One dtype in both formats.</summary>
    /// <param name="Type">The TorchSharp dtype.</param>
    /// <param name="SafetensorsName">The safetensors name, or null when Ema reads and writes it only in <c>.pth</c> (complex numbers).</param>
    /// <param name="StorageName">The PyTorch storage type without its <c>torch.</c> module.</param>
    /// <param name="ElementSize">Bytes per element.</param>
    internal sealed record Entry(ScalarType Type, string? SafetensorsName, string StorageName, int ElementSize);

    /// <summary>Every dtype, in the order error messages list them.</summary>
    public static IReadOnlyList<Entry> All { get; } =
    [
        new(ScalarType.Float64, "F64", "DoubleStorage", 8),
        new(ScalarType.Float32, "F32", "FloatStorage", 4),
        new(ScalarType.Float16, "F16", "HalfStorage", 2),
        new(ScalarType.BFloat16, "BF16", "BFloat16Storage", 2),
        new(ScalarType.Int64, "I64", "LongStorage", 8),
        new(ScalarType.Int32, "I32", "IntStorage", 4),
        new(ScalarType.Int16, "I16", "ShortStorage", 2),
        new(ScalarType.Int8, "I8", "CharStorage", 1),
        new(ScalarType.Byte, "U8", "ByteStorage", 1),
        new(ScalarType.Bool, "BOOL", "BoolStorage", 1),
        new(ScalarType.ComplexFloat32, null, "ComplexFloatStorage", 8),
        new(ScalarType.ComplexFloat64, null, "ComplexDoubleStorage", 16),
    ];
}
