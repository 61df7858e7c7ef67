using System.Text.Json;

namespace Ema.Runtime.Tests;

/// <summary>
/// The warmup, tau and power schedules against tests/reference/decay_schedules_forms.json, which
/// tests/reference/forms_reference.py computes the way timm, Ultralytics and EDM2 do.
/// </summary>
public sealed class FormsScheduleReferenceTests
{
    [Theory]
    [InlineData("warmup", 1e-12, 180)]
    [InlineData("tau", 1e-12, 108)]
    [InlineData("power", 1e-9, 72)]
    public void Every_reference_case_matches(string decayType, double relative, int expectedCases)
    {
        int checkedCases = 0;
        foreach (JsonElement c in Cases(decayType))
        {
            EmaParams parameters = TypedParams(c);
            long step = c.GetProperty("step").GetInt64();
            double expected = c.GetProperty("expected").GetDouble();

            double actual = DecaySchedules.Compute(parameters, step, c.GetProperty("total_steps").GetInt64());

            Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected),
                $"{parameters} step {step}: expected {expected:R}, got {actual:R}");
            checkedCases++;
        }

        Assert.Equal(expectedCases, checkedCases);
    }

    [Fact]
    public void Power_gamma_is_the_largest_root_numpy_finds()
    {
        foreach (JsonElement c in Cases("power"))
        {
            double sigmaRel = c.GetProperty("sigma_rel").GetDouble();
            double expected = c.GetProperty("gamma").GetDouble();

            double gamma = new PowerDecay(sigmaRel).Gamma;

            Assert.True(Math.Abs(gamma - expected) <= 1e-12 * expected, $"sigma_rel {sigmaRel}: gamma {gamma:R}, numpy {expected:R}");
            // Independent check: the profile of that gamma has the requested width.
            Assert.Equal(sigmaRel, PowerProfile.SigmaRelOf(gamma), 14);
        }
    }

    [Fact]
    public void Warmup_copies_the_model_until_update_after_step_plus_one()
    {
        var parameters = new WarmupEmaParams(decay: 0.999, updateAfterStep: 10);

        Assert.All(new long[] { 0, 1, 10, 11 }, step => Assert.Equal(0.0, DecaySchedules.Compute(parameters, step, 100)));
        Assert.Equal(1 - Math.Pow(2, -2.0 / 3), DecaySchedules.Compute(parameters, 12, 100), 15);
    }

    [Fact]
    public void Power_is_not_capped_by_decay()
    {
        var parameters = new PowerEmaParams(decay: 0.5, sigmaRel: 0.05);

        double late = DecaySchedules.Compute(parameters, 1_000_000, 1_000_000);

        Assert.True(late > 0.99, $"{late}");
        Assert.Equal(0.0, DecaySchedules.Compute(parameters, 1, 10));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void Tau_must_be_positive(double tau)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TauEmaParams(tau: tau));
        Assert.Contains("tau", error.Message, StringComparison.Ordinal);
        Assert.Contains("> 0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.2886751345948129)]
    [InlineData(0.5)]
    public void Sigma_rel_must_lie_below_one_over_sqrt_12(double sigmaRel)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PowerEmaParams(sigmaRel: sigmaRel));
        Assert.Contains("sigma_rel", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Warmup_keys_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupEmaParams(invGamma: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupEmaParams(power: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupEmaParams(minDecay: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupEmaParams(updateAfterStep: -1));
    }

    [Fact]
    public void Defaults_are_the_peers_defaults()
    {
        var warmup = new WarmupEmaParams();
        Assert.Equal((1.0, 2.0 / 3.0, 0.0, 0L), (warmup.InvGamma, warmup.Power, warmup.MinDecay, warmup.UpdateAfterStep));
        Assert.Equal(2000.0, new TauEmaParams().Tau);
        Assert.Equal(0.05, new PowerEmaParams().SigmaRel);
    }

    internal static IEnumerable<JsonElement> Cases(string decayType)
    {
        using JsonDocument document = ReferenceData.Load("decay_schedules_forms.json");
        return document.RootElement.GetProperty("cases").EnumerateArray()
            .Where(c => c.GetProperty("decay_type").GetString() == decayType)
            .Select(c => c.Clone())
            .ToArray();
    }

    private static EmaParams TypedParams(JsonElement c)
    {
        double decay = c.GetProperty("decay").GetDouble();
        return c.GetProperty("decay_type").GetString() switch
        {
            "warmup" => new WarmupEmaParams(
                decay,
                c.GetProperty("inv_gamma").GetDouble(),
                c.GetProperty("power").GetDouble(),
                c.GetProperty("min_decay").GetDouble(),
                c.GetProperty("update_after_step").GetInt64()),
            "tau" => new TauEmaParams(decay, c.GetProperty("tau").GetDouble()),
            "power" => new PowerEmaParams(decay, c.GetProperty("sigma_rel").GetDouble()),
            var other => throw new ArgumentException(other),
        };
    }
}
