using System.Text.Json;

namespace Ema.Runtime.Tests;

/// <summary>Reads the PyTorch reference values copied from shared/reference into the test output.</summary>
internal static class ReferenceData
{
    public static JsonDocument Load(string fileName) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", fileName)));

    /// <summary>The typed record for a reference case's schedule.</summary>
    public static EmaParams ParamsFor(string decayType, double decay, double? beta) => decayType switch
    {
        "constant" => new ConstantEmaParams(decay),
        "threshold" => new ThresholdEmaParams(decay),
        "exp" => new ExpEmaParams(decay, beta ?? 15),
        _ => throw new ArgumentException($"unknown decay_type {decayType}"),
    };

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();
}
