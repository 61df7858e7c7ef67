using System.Text.Json;

namespace Ema.Runtime.Tests;

/// <summary>The built-in <c>cosine</c> schedule against tests/reference/cosine_decay.json (written by cosine_reference.py).</summary>
public sealed class CosineDecayTests
{
    [Fact]
    public void Every_reference_case_matches_to_1e12_relative()
    {
        using JsonDocument document = ReferenceData.Load("cosine_decay.json");
        int checkedCases = 0;
        foreach (JsonElement c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            var parameters = new CosineEmaParams(c.GetProperty("decay").GetDouble());
            long step = c.GetProperty("step").GetInt64();
            long total = c.GetProperty("total_steps").GetInt64();
            double expected = c.GetProperty("expected").GetDouble();

            double actual = DecaySchedules.Compute(parameters, step, total);

            Assert.True(Math.Abs(actual - expected) <= Math.Abs(expected) * 1e-12, $"{parameters} step {step}/{total}: expected {expected:R}, got {actual:R}");
            checkedCases++;
        }

        Assert.Equal(132, checkedCases);
    }

    [Fact]
    public void It_rises_from_decay_to_one_and_takes_no_key_beyond_decay()
    {
        var parameters = new CosineEmaParams(decay: 0.996);
        Assert.Equal(0.996, DecaySchedules.Compute(parameters, 0, 1000), 15);
        Assert.Equal(1.0 - (0.004 / 2), DecaySchedules.Compute(parameters, 500, 1000), 15);
        Assert.Equal(1.0, DecaySchedules.Compute(parameters, 1000, 1000));
        Assert.Equal(1.0, DecaySchedules.Compute(parameters, 1200, 1000)); // past the end it stays 1

        Assert.Equal(parameters, DecaySchedules.FromJson("""{"decay_type": "cosine", "decay": 0.996}"""));
        Assert.Contains("cosine", DecaySchedules.Names);
        Assert.Throws<EmaConfigException>(() => DecaySchedules.FromJson("""{"decay_type": "cosine", "momentum_teacher": 0.996}"""));
    }
}
