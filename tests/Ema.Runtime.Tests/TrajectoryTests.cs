using System.Text.Json;

namespace Ema.Runtime.Tests;

/// <summary>ModelEma against the EMA trajectories PyTorch computed (shared/reference/ema_trajectories.json).</summary>
public sealed class TrajectoryTests
{
    public static TheoryData<int> Trajectories() => new() { 0, 1, 2 };

    [Theory]
    [MemberData(nameof(Trajectories))]
    public void Ema_follows_the_PyTorch_trajectory(int index)
    {
        using JsonDocument document = ReferenceData.Load("ema_trajectories.json");
        JsonElement root = document.RootElement;
        JsonElement trajectory = root.GetProperty("trajectories")[index];
        using var model = new LinearBatchNorm();
        foreach (JsonProperty init in root.GetProperty("init").EnumerateObject())
        {
            ModuleValues.Set(model, init.Name, ReferenceData.Floats(init.Value));
        }

        double? beta = trajectory.GetProperty("beta").ValueKind == JsonValueKind.Number ? trajectory.GetProperty("beta").GetDouble() : null;
        EmaParams parameters = ReferenceData.ParamsFor(trajectory.GetProperty("decay_type").GetString()!, trajectory.GetProperty("decay").GetDouble(), beta);
        long totalSteps = trajectory.GetProperty("total_steps").GetInt64();
        using var ema = new ModelEma(model, parameters);

        int compared = 0;
        foreach (JsonElement step in trajectory.GetProperty("steps").EnumerateArray())
        {
            foreach (JsonProperty moved in step.GetProperty("model").EnumerateObject())
            {
                ModuleValues.Set(model, moved.Name, ReferenceData.Floats(moved.Value));
            }

            ema.Update(step.GetProperty("step").GetInt64(), totalSteps);

            Assert.Equal(step.GetProperty("decay").GetDouble(), ema.LastDecay, 12);
            foreach (JsonProperty expected in step.GetProperty("ema_lerp_f32").EnumerateObject())
            {
                AssertClose(ReferenceData.Floats(expected.Value), ModuleValues.Get(ema.EmaWeights[expected.Name]), 1e-6, expected.Name);
                compared++;
            }

            foreach (JsonProperty expected in step.GetProperty("ema_sg_formula_f32").EnumerateObject())
            {
                AssertClose(ReferenceData.Floats(expected.Value), ModuleValues.Get(ema.EmaWeights[expected.Name]), 1e-5, expected.Name);
            }
        }

        Assert.Equal(12 * 6, compared);
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"{name}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance})");
        }
    }
}
