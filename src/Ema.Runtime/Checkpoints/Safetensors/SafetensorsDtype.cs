using static TorchSharp.torch;

namespace Ema;

/// <summary>The safetensors dtype names this project reads and writes, and their TorchSharp dtypes (the safetensors column of <see cref="TensorDtypes"/>).</summary>
internal static class SafetensorsDtype
{
    private static readonly (string Name, ScalarType Type, int Size)[] s_table =
        TensorDtypes.All.Where(e => e.SafetensorsName is not null).Select(e => (e.SafetensorsName!, e.Type, e.ElementSize)).ToArray();

    /// <summary>The dtype names accepted, for error messages.</summary>
    public static string Known => string.Join(", ", s_table.Select(e => e.Name));

    /// <summary>Whether safetensors has a name for <paramref name="type"/> (complex dtypes, say, have none).</summary>
    public static bool Holds(ScalarType type) => s_table.Any(e => e.Type == type);

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
