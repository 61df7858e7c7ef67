using System.Text.Json;

namespace Ema.Config.Tests;

/// <summary>The built-in schedules, loaded by name from JSON, against PyTorch/SuperGradients reference values.</summary>
public sealed class ReferenceValueTests
{
    [Fact]
    public void Every_reference_case_matches_to_1e_12_relative()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", "decay_schedules.json")));
        int checkedCases = 0;
        foreach (JsonElement item in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            string decayType = item.GetProperty("decay_type").GetString()!;
            double decay = item.GetProperty("decay").GetDouble();
            string beta = item.TryGetProperty("beta", out JsonElement b) ? $", \"beta\": {b.GetRawText()}" : string.Empty;
            EmaParams parameters = DecaySchedules.FromJson($$"""{"decay_type": "{{decayType}}", "decay": {{item.GetProperty("decay").GetRawText()}}{{beta}}}""");
            long step = item.GetProperty("step").GetInt64();
            long total = item.GetProperty("total_steps").GetInt64();
            double expected = item.GetProperty("expected").GetDouble();

            double actual = DecaySchedules.Compute(parameters, step, total);

            Assert.Equal(decay, parameters.Decay);
            Assert.True(
                Math.Abs(actual - expected) <= 1e-12 * Math.Max(Math.Abs(expected), double.Epsilon),
                $"{decayType} decay={decay}{beta} step={step}/{total}: expected {expected:R}, got {actual:R}");
            checkedCases++;
        }

        Assert.True(checkedCases >= 20, $"only {checkedCases} cases");
    }
}
