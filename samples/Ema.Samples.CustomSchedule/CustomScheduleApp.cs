using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Samples.CustomSchedule;

/// <summary>
/// The seed's linear schedule used both ways: as the typed record the generator made from <see cref="LinearDecay"/>,
/// and from a SuperGradients-shaped JSON config; each drives a <see cref="ModelEma"/> of a tiny model.
/// </summary>
public static class CustomScheduleApp
{
    /// <summary>Runs the sample; returns the process exit code.</summary>
    /// <param name="output">Where to write the schedules and the EMA's decay.</param>
    /// <param name="trainingSteps">Optimizer steps of each tiny training run.</param>
    public static int Run(TextWriter output, int trainingSteps = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trainingSteps, 1);

        // 1. The typed record the generator made from LinearDecay: checked by the compiler (decay must lie in (0, 1)).
        var typed = new LinearEmaParams(decay: 0.9999);

        // 2. The same schedule from a SuperGradients-shaped config: found by name, no registration code.
        EmaParams fromJson = DecaySchedules.FromJson("""{"decay": 0.999, "decay_type": "linear"}""");

        output.WriteLine($"Registered schedules: {string.Join(", ", DecaySchedules.Names)}");
        output.WriteLine($"From JSON: {fromJson.GetType().Name}, {fromJson.ToJson()}");

        const long totalSteps = 1000;
        output.WriteLine("step   typed (0.9999)   from JSON (0.999)");
        foreach (long step in new long[] { 0, 1, 250, 500, 999 })
        {
            output.WriteLine(FormattableString.Invariant(
                $"{step,4}   {DecaySchedules.Compute(typed, step, totalSteps),14:F6}   {DecaySchedules.Compute(fromJson, step, totalSteps),17:F6}"));
        }

        // 3. A ModelEma from each: the schedule is the same code whichever way its parameters arrived.
        TrainWithEma(output, "the typed record", typed, trainingSteps);
        TrainWithEma(output, "JSON", fromJson, trainingSteps);
        return 0;
    }

    /// <summary>A few SGD steps of Linear(4, 2) towards a fixed target, with an EMA of the weights on the linear schedule.</summary>
    private static void TrainWithEma(TextWriter output, string source, EmaParams parameters, int trainingSteps)
    {
        manual_seed(0); // both runs train the same model on the same data: only the EMA parameters differ
        using var model = nn.Linear(4, 2);
        using var ema = new ModelEma(model, parameters);
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using Tensor input = randn(32, 4);
        using Tensor target = randn(32, 2);
        output.WriteLine($"ModelEma from {source} ({parameters}) of Linear(4, 2), {model.parameters().Sum(p => p.numel())} parameters:");
        int reportEvery = Math.Max(1, trainingSteps / 4);
        for (long step = 1; step <= trainingSteps; step++)
        {
            using (NewDisposeScope())
            {
                Tensor loss = nn.functional.mse_loss(model.call(input), target);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }

            ema.Update(step, trainingSteps);
            if (step % reportEvery == 0 || step == trainingSteps)
            {
                output.WriteLine(FormattableString.Invariant(
                    $"  step {step,3}/{trainingSteps}  decay {ema.LastDecay:F6}  (= {parameters.Decay} * {step}/{trainingSteps})"));
            }
        }

        ema.CopyToModel();
        output.WriteLine("  the model now holds the EMA weights");
    }
}
