using Ema.Benchmarks.Cases;
using Ema.Benchmarks.Reporting;
using static TorchSharp.torch;

namespace Ema.Benchmarks.Smoke;

/// <summary>
/// CI's correctness run of the harness on tiny shapes, never for time: the engine's update must equal the
/// per-tensor loops' result, and no tensor may leak.
/// </summary>
internal static class SmokeCheck
{
    private const double Tolerance = 1e-6;

    /// <returns>The failures; empty when all checks pass.</returns>
    public static List<string> Run()
    {
        var failures = new List<string>();
        foreach (CaseDefinition definition in CaseDefinition.Smoke())
        {
            CheckAgreement(definition, failures);

            CaseResult result = CaseRunner.Run(definition, RunSettings.Smoke);
            Console.WriteLine(Report.JsonLine(result, peer: null));
            Expect(failures, result.LeakedTensors == 0, $"{definition.Name}: {result.LeakedTensors} tensors leaked by the harness run");
            // Tensors created and freed within an update are a performance figure (the full run reports it), not a leak.
            Expect(failures, result.UpdateAllocations.LiveTensorDelta == 0, $"{definition.Name}: each Update left {result.UpdateAllocations.LiveTensorDelta} more live tensors");
            // Tiny models fit in one chunk, so even the bf16 case's staging is at most one copy of the floating state.
            Expect(failures, result.EmaBytes <= 2 * result.OneCopyBytes, $"{definition.Name}: the EMA holds {result.EmaCopies} copies of the state");
        }

        return failures;
    }

    /// <summary>After the same steps from the same state, Update, the lerp_ loop and the mul_/add_ loop agree.</summary>
    private static void CheckAgreement(CaseDefinition definition, List<string> failures)
    {
        using ShapeModule model = CaseFixture.MakeModel(definition);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = Tensor.TotalCount;
        using (var fixture = new CaseFixture(definition, model, new ConstantEmaParams(decay: 0.9)))
        {
            foreach ((string loopName, Action<double> loop) in new (string, Action<double>)[] { ("lerp_ loop", d => fixture.LerpLoop(d)), ("mul_/add_ loop", d => fixture.MulAddLoop(d)) })
            {
                fixture.SyncLoopEmaFromEngine();
                for (int step = 1; step <= 2; step++)
                {
                    fixture.PerturbModel(seed: step);
                    fixture.Update();
                    loop(fixture.Ema.LastDecay);
                }

                double diff = MaxDifference(fixture);
                Console.WriteLine($"smoke {definition.Name}: Update vs {loopName}: max |difference| = {diff:E2}");
                Expect(failures, diff <= Tolerance, $"{definition.Name}: Update differs from the {loopName} by {diff:E2} (> {Tolerance:E0})");
            }

            CheckSwap(fixture, failures);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        long leaked = Tensor.TotalCount - before;
        Expect(failures, leaked == 0, $"{definition.Name}: {leaked} tensors leaked by the agreement check");
    }

    /// <summary>Inside UseEmaWeights the model computes with the EMA's values; after it, with its own again.</summary>
    private static void CheckSwap(CaseFixture fixture, List<string> failures)
    {
        Dictionary<string, Tensor> model = fixture.Model.state_dict();
        string name = fixture.Ema.EmaWeights.Keys.First(k => model[k].is_floating_point());
        using Tensor own = model[name].clone();
        using (fixture.Ema.UseEmaWeights())
        {
            using Tensor inside = model[name].to_type(ScalarType.Float32);
            using Tensor ema = fixture.Ema.EmaWeights[name].to_type(ScalarType.Float32);
            // A bf16 model holds the float32 EMA rounded to bf16.
            double tolerance = model[name].dtype == ScalarType.BFloat16 ? 1e-2 : 0;
            Expect(failures, inside.allclose(ema, rtol: tolerance, atol: tolerance), $"{fixture.Definition.Name}: inside UseEmaWeights the model does not hold the EMA weights");
        }

        Expect(failures, model[name].allclose(own, rtol: 0, atol: 0), $"{fixture.Definition.Name}: after UseEmaWeights the model did not get its own weights back");
    }

    private static double MaxDifference(CaseFixture fixture)
    {
        double max = 0;
        int i = 0;
        foreach ((string name, Tensor tensor) in fixture.Model.state_dict())
        {
            if (!tensor.is_floating_point())
            {
                continue;
            }

            using Tensor diff = fixture.Ema.EmaWeights[name].sub(fixture.LoopEma[i++]);
            using Tensor abs = diff.abs();
            using Tensor m = abs.max();
            max = Math.Max(max, m.item<float>());
        }

        return max;
    }

    private static void Expect(List<string> failures, bool condition, string message)
    {
        if (!condition)
        {
            failures.Add(message);
        }
    }
}
