using static TorchSharp.torch;

namespace Ema;

/// <summary>The floating-point dtypes an EMA averages and a checkpoint may convert between: one list for all.</summary>
internal static class FloatingDtypes
{
    public static bool Contains(ScalarType dtype) =>
        dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;
}
