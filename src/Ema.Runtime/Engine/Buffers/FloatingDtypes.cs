using static TorchSharp.torch;

namespace Ema;

/// <summary>The floating-point dtypes an EMA averages and a checkpoint may convert between: one list for all.</summary>
internal static class FloatingDtypes
{
    public static bool Contains(ScalarType dtype) =>
        dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>The largest finite magnitude of a floating dtype (infinity for any other dtype).</summary>
    public static double MaxFinite(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => 65504.0,
        ScalarType.BFloat16 => 3.3895313892515355e38,
        ScalarType.Float32 => float.MaxValue,
        ScalarType.Float64 => double.MaxValue,
        _ => double.PositiveInfinity,
    };

    /// <summary>
    /// The largest magnitude an EMA of <paramref name="emaDtype"/> holds when it is narrower than the model's
    /// <paramref name="modelDtype"/> (a larger model value would become infinity in it); infinity when it is not narrower.
    /// </summary>
    public static double NarrowingLimit(ScalarType modelDtype, ScalarType emaDtype) =>
        MaxFinite(emaDtype) < MaxFinite(modelDtype) ? MaxFinite(emaDtype) : double.PositiveInfinity;
}
