using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Property;

/// <summary>Reads tensors into plain arrays and compares them bit for bit (NaN equals NaN).</summary>
internal static class TensorValues
{
    /// <summary>The values, exactly (float32, float64 and int64 all convert to double without rounding here).</summary>
    public static double[] Read(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
    }

    public static float[] ReadFloats(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }

    public static long[] ReadLongs(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().to(ScalarType.Int64).cpu().contiguous().data<long>().ToArray();
    }

    /// <summary>Every tensor of a state dict (or EMA weights) by name.</summary>
    public static Dictionary<string, double[]> ReadAll(IEnumerable<KeyValuePair<string, Tensor>> tensors) =>
        tensors.ToDictionary(p => p.Key, p => Read(p.Value), StringComparer.Ordinal);

    public static bool Same(double a, double b) => a.Equals(b) || (double.IsNaN(a) && double.IsNaN(b));

    public static bool SameBits(float a, float b) => BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) || (float.IsNaN(a) && float.IsNaN(b));

    /// <summary>The first difference between two snapshots, or null.</summary>
    public static string? FirstDifference(IReadOnlyDictionary<string, double[]> expected, IReadOnlyDictionary<string, double[]> actual)
    {
        foreach ((string name, double[] values) in expected)
        {
            if (!actual.TryGetValue(name, out double[]? other))
            {
                return $"'{name}' is missing";
            }

            for (int i = 0; i < values.Length; i++)
            {
                if (!Same(values[i], other[i]))
                {
                    return $"'{name}'[{i}] is {other[i]:R}, expected {values[i]:R}";
                }
            }
        }

        return actual.Keys.FirstOrDefault(k => !expected.ContainsKey(k)) is { } extra ? $"'{extra}' is unexpected" : null;
    }

    /// <summary>Writes <paramref name="values"/> into the model's own tensor (as an optimizer step would), keeping the object.</summary>
    public static void Write(Tensor target, float[] values)
    {
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            target.copy_(tensor(values, target.shape, dtype: ScalarType.Float32));
        }
    }

    public static void Write(Tensor target, long[] values)
    {
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            target.copy_(tensor(values, target.shape, dtype: ScalarType.Int64));
        }
    }
}
