using System.Text.Json;

namespace Ema.Runtime.Tests;

public sealed class DecayScheduleReferenceTests
{
    [Fact]
    public void Every_reference_case_matches_to_1e12_relative()
    {
        using JsonDocument document = ReferenceData.Load("decay_schedules.json");
        int checkedCases = 0;
        foreach (JsonElement c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            double? beta = c.TryGetProperty("beta", out JsonElement b) && b.ValueKind == JsonValueKind.Number ? b.GetDouble() : null;
            EmaParams parameters = ReferenceData.ParamsFor(c.GetProperty("decay_type").GetString()!, c.GetProperty("decay").GetDouble(), beta);
            long step = c.GetProperty("step").GetInt64();
            long total = c.GetProperty("total_steps").GetInt64();
            double expected = c.GetProperty("expected").GetDouble();

            double actual = DecaySchedules.Compute(parameters, step, total);

            double tolerance = Math.Max(Math.Abs(expected) * 1e-12, 1e-300);
            Assert.True(Math.Abs(actual - expected) <= tolerance,
                $"{parameters} step {step}/{total}: expected {expected:R}, got {actual:R}");
            checkedCases++;
        }

        Assert.Equal(672, checkedCases);
    }

    [Theory]
    [InlineData(0, 0.1)]          // (1 + 0) / (10 + 0)
    [InlineData(90, 0.91)]        // (1 + 90) / (10 + 90)
    [InlineData(1_000_000, 0.999)] // capped by decay
    public void Threshold_is_the_smaller_of_decay_and_the_warmup_ratio(long step, double expected)
    {
        Assert.Equal(expected, DecaySchedules.Compute(new ThresholdEmaParams(0.999), step, 10), 12);
    }

    [Fact]
    public void Exp_rises_from_zero_to_near_decay_with_beta()
    {
        var parameters = new ExpEmaParams(decay: 0.999, beta: 15);
        Assert.Equal(0.0, DecaySchedules.Compute(parameters, 0, 100));
        Assert.Equal(0.999 * (1 - Math.Exp(-15.0 / 2)), DecaySchedules.Compute(parameters, 50, 100), 14);
        Assert.Equal(0.999 * (1 - Math.Exp(-15.0)), DecaySchedules.Compute(parameters, 100, 100), 14);
    }
}
