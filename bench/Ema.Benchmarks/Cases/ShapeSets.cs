using System.Text.Json;

namespace Ema.Benchmarks.Cases;

/// <summary>The tensor lists the cases are made of.</summary>
internal static class ShapeSets
{
    /// <summary>The file with ResNet-50's parameter and buffer shapes, copied next to the harness at build time.</summary>
    public static string ResNet50Path => Path.Combine(AppContext.BaseDirectory, "reference", "resnet50_shapes.json");

    /// <summary>ResNet-50 (torchvision layout): 161 parameters and 159 buffers, 53 of them int64 counters.</summary>
    public static IReadOnlyList<TensorSpec> ResNet50()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(ResNet50Path));
        var specs = new List<TensorSpec>();
        foreach (JsonElement p in doc.RootElement.GetProperty("parameters").EnumerateArray())
        {
            specs.Add(new TensorSpec(p.GetProperty("name").GetString()!, Shape(p), IsFloating: true, IsParameter: true));
        }

        foreach (JsonElement b in doc.RootElement.GetProperty("buffers").EnumerateArray())
        {
            bool floating = b.GetProperty("dtype").GetString() != "int64";
            specs.Add(new TensorSpec(b.GetProperty("name").GetString()!, Shape(b), floating, IsParameter: false));
        }

        return specs;
    }

    /// <summary>Many small parameters of one size, like the norms and biases of a transformer.</summary>
    public static IReadOnlyList<TensorSpec> ManySmall(int count, long size) =>
        Enumerable.Range(0, count).Select(i => new TensorSpec($"p{i}", [size], IsFloating: true, IsParameter: true)).ToList();

    /// <summary>A few tensors of every kind the engine handles, for the CI smoke run.</summary>
    public static IReadOnlyList<TensorSpec> Tiny() =>
    [
        new("w0", [8, 3, 3, 3], IsFloating: true, IsParameter: true),
        new("b0", [8], IsFloating: true, IsParameter: true),
        new("w1", [16, 8], IsFloating: true, IsParameter: true),
        new("mean", [16], IsFloating: true, IsParameter: false),
        new("count", [], IsFloating: false, IsParameter: false),
    ];

    private static long[] Shape(JsonElement entry) => entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
}
