using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>
/// The swa, bema and half_life schedules, Switch EMA and BatchScale against tests/reference/averaging_reference.json,
/// which tests/reference/averaging_reference.py computes with numpy the way PyTorch's AveragedModel, TRL's
/// BEMACallback, torchtitan, Keras / ema-pytorch and Busbridge et al. do.
/// </summary>
public sealed class AveragingReferenceTests
{
    // float32 weights of order 1 over twelve steps, against float64.
    private const float Tolerance = 2e-5f;

    [Theory]
    [InlineData("swa", 48)]
    [InlineData("half_life", 96)]
    [InlineData("bema", 48)]
    public void Every_schedule_case_matches(string decayType, int expectedCases)
    {
        int checkedCases = 0;
        foreach (JsonElement c in Schedules(decayType))
        {
            EmaParams parameters = FromCase(c);
            long step = c.GetProperty("step").GetInt64();
            double expected = c.GetProperty("expected").GetDouble();

            double actual = DecaySchedules.Compute(parameters, step, c.GetProperty("total_steps").GetInt64());

            Assert.True(Math.Abs(actual - expected) <= 1e-12 * Math.Max(1e-3, Math.Abs(expected)), $"{parameters} step {step}: expected {expected:R}, got {actual:R}");
            if (decayType == "bema")
            {
                double correction = ((IOutputCorrection)parameters.NewSchedule()).Weight(step);
                double expectedCorrection = c.GetProperty("correction").GetDouble();
                Assert.True(Math.Abs(correction - expectedCorrection) <= 1e-12 * Math.Max(1e-3, expectedCorrection), $"{parameters} step {step}: correction {correction:R}, expected {expectedCorrection:R}");
            }

            checkedCases++;
        }

        Assert.Equal(expectedCases, checkedCases);
    }

    public static TheoryData<int> TrajectoryIndices() => new() { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

    /// <summary>
    /// The weights the EMA hands out and the model (moved by a switch) after each step, with Update() counting the
    /// steps: the model moves by the reference's delta before each update, as an optimizer step would move it.
    /// </summary>
    [Theory]
    [MemberData(nameof(TrajectoryIndices))]
    public void Every_trajectory_matches(int index)
    {
        JsonElement c = Trajectories()[index];
        JsonElement options = c.GetProperty("options");
        var emaOptions = new ModelEmaOptions
        {
            UpdateEvery = options.TryGetProperty("update_every", out JsonElement k) ? k.GetInt32() : 1,
            BatchScale = options.TryGetProperty("batch_scale", out JsonElement s) ? s.GetDouble() : 1.0,
            SwitchEvery = options.TryGetProperty("switch_every", out JsonElement e) ? e.GetInt64() : 0,
            SwitchBlend = options.TryGetProperty("switch_blend", out JsonElement b) ? b.GetDouble() : 1.0,
        };
        using var model = nn.Linear(2, 2);
        SetFlat(model, Floats(c.GetProperty("initial")));
        EmaParams parameters = DecaySchedules.FromJson(WithType(c.GetProperty("decay_type").GetString()!, c.GetProperty("params")));
        using var ema = new ModelEma(model, parameters, emaOptions);

        JsonElement[] deltas = c.GetProperty("deltas").EnumerateArray().ToArray();
        JsonElement[] expected = c.GetProperty("expected").EnumerateArray().ToArray();
        for (int t = 0; t < deltas.Length; t++)
        {
            AddFlat(model, Floats(deltas[t]));

            ema.Update();

            string at = $"{parameters} {options} step {t + 1}";
            AssertClose(Floats(expected[t].GetProperty("ema")), Flat(ema.EmaWeights["weight"], ema.EmaWeights["bias"]), at + " (EMA)");
            AssertClose(Floats(expected[t].GetProperty("model")), Flat(model.weight!, model.bias!), at + " (model)");
        }

        Assert.Equal(deltas.Length, ema.Step);
    }

    internal static float[] Flat(Tensor weight, Tensor bias) => ModuleValues.Get(weight).Concat(ModuleValues.Get(bias)).ToArray();

    internal static void SetFlat(nn.Module model, float[] values)
    {
        ModuleValues.Set(model, "weight", values[..4]);
        ModuleValues.Set(model, "bias", values[4..]);
    }

    internal static void AddFlat(TorchSharp.Modules.Linear model, float[] delta)
    {
        float[] now = Flat(model.weight!, model.bias!);
        SetFlat(model, now.Zip(delta, (a, d) => a + d).ToArray());
    }

    internal static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * Math.Max(1f, Math.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    internal static JsonElement[] Trajectories()
    {
        using JsonDocument document = ReferenceData.Load("averaging_reference.json");
        return document.RootElement.GetProperty("trajectories").EnumerateArray().Select(c => c.Clone()).ToArray();
    }

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static IEnumerable<JsonElement> Schedules(string decayType)
    {
        using JsonDocument document = ReferenceData.Load("averaging_reference.json");
        return document.RootElement.GetProperty("schedules").EnumerateArray()
            .Where(c => c.GetProperty("decay_type").GetString() == decayType)
            .Select(c => c.Clone())
            .ToArray();
    }

    /// <summary>Through the config path (snake_case keys), as a recipe would give them.</summary>
    private static EmaParams FromCase(JsonElement c)
    {
        var keys = c.EnumerateObject().Where(p => p.Name is not ("step" or "total_steps" or "expected" or "correction"));
        return DecaySchedules.FromJson("{" + string.Join(", ", keys.Select(p => $"\"{p.Name}\": {p.Value.GetRawText()}")) + "}");
    }

    private static string WithType(string decayType, JsonElement parameters) =>
        "{\"decay_type\": \"" + decayType + "\"" + string.Concat(parameters.EnumerateObject().Select(p => $", \"{p.Name}\": {p.Value.GetRawText()}")) + "}";
}
