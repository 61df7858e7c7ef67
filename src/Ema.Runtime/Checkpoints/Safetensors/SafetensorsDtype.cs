using static TorchSharp.torch;

namespace Ema;

/// <summary>The safetensors dtype names this project reads and writes, and their TorchSharp dtypes.</summary>
internal static class SafetensorsDtype
{
    private static readonly (string Name, ScalarType Type, int Size)[] s_table =
    [
        ("F64", ScalarType.Float64, 8),
        ("F32", ScalarType.Float32, 4),
        ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2),
        ("I64", ScalarType.Int64, 8),
        ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2),
        ("I8", ScalarType.Int8, 1),
        ("U8", ScalarType.Byte, 1),
        ("BOOL", ScalarType.Bool, 1),
    ];

    /// <summary>The dtype names accepted, for error messages.</summary>
    public static string Known => string.Join(", ", s_table.Select(e => e.Name));

    public static string NameOf(ScalarType type)
    {
        foreach ((string name, ScalarType t, _) in s_table)
        {
            if (t == type)
            {
                return name;
            }
        }

        throw new NotSupportedException($"The dtype {type} has no safetensors name this project writes; supported: {Known}.");
    }

    public static bool TryParse(string name, out ScalarType type, out int elementSize)
    {
        foreach ((string n, ScalarType t, int size) in s_table)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                type = t;
                elementSize = size;
                return true;
            }
        }

        type = default;
        elementSize = 0;
        return false;
    }
}
