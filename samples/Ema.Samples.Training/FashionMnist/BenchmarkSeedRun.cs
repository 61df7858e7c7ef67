using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Samples.Training.FashionMnist;

/// <summary>What one seed's run in Ema measured.</summary>
/// <param name="Accuracy">Test accuracy per epoch of each form: "raw", the schedules, "power 0.05" and "power 0.10".</param>
/// <param name="StepSeconds">Time in forward, backward and optimizer steps over the run.</param>
/// <param name="UpdateSeconds">Time in each EMA's updates over the run ("post-hoc" updates both power EMAs and snapshots).</param>
/// <param name="PostHoc">Test accuracy of the EMA synthesized after training, per sigma_rel (NaN: the snapshots cannot give that profile within 5%).</param>
/// <param name="EmaBytes">One EMA's memory (its copy of the weights and buffers).</param>
/// <param name="ModelBytes">The model's parameters and buffers.</param>
internal sealed record SeedResult(int Seed, Dictionary<string, List<double>> Accuracy, double StepSeconds,
    Dictionary<string, double> UpdateSeconds, List<(double SigmaRel, double Accuracy)> PostHoc, long EmaBytes, long ModelBytes);

/// <summary>
/// One seed of the benchmark in Ema: the CNN trained with SGD, and beside it one EMA per schedule of one model (they
/// share its buffer) and EDM2's post-hoc EMA, each update timed apart from the training step. Writes the initial
/// weights (<c>init.pth</c>) and the data order (<c>order.txt</c>) for the PyTorch run of the same seed.
/// </summary>
internal static class BenchmarkSeedRun
{
    public static readonly string[] Schedules = ["exp", "threshold", "warmup"];

    public static SeedResult Run(FashionMnistData data, int seed, int epochs, double lr, double decay, string directory, TextWriter output)
    {
        Directory.CreateDirectory(directory);
        manual_seed(seed);
        using var model = FashionCnn.Create();
        Checkpoint.Save(Path.Combine(directory, "init.pth"), model);
        long[][] orders = Enumerable.Range(0, epochs).Select(e => EpochOrderBatches.Permutation(data.TrainCount, seed, e)).ToArray();
        File.WriteAllLines(Path.Combine(directory, "order.txt"), orders.Select(o => string.Join(' ', o)));

        var train = new EpochOrderBatches(data.TrainImages, data.TrainLabels, TrainingApp.FashionBatchSize, e => orders[e]);
        List<(Tensor Input, Tensor Target)> test = data.TestBatches(TrainingApp.FashionTestBatchSize);
        long totalSteps = (long)epochs * train.Count;
        using var optimizer = optim.SGD(model.parameters(), lr, momentum: 0.9);
        var emas = new Dictionary<string, ModelEma>
        {
            ["exp"] = new ModelEma(model, new ExpEmaParams(decay, beta: 15)),
            ["threshold"] = new ModelEma(model, new ThresholdEmaParams(decay)),
            ["warmup"] = new ModelEma(model, new WarmupEmaParams(0.9999)), // timm's/diffusers' defaults
        };
        using var postHoc = new PostHocEma(model, new PostHocEmaOptions
        {
            SnapshotDirectory = FreshSnapshots.In(Path.Combine(directory, "posthoc")),
            SnapshotEvery = Math.Max(1, totalSteps / 20),
        });
        try
        {
            var accuracy = new Dictionary<string, List<double>>();
            void Record(string form, double value) => (accuracy.TryGetValue(form, out var list) ? list : accuracy[form] = []).Add(value);
            var updateTicks = emas.Keys.Append("post-hoc").ToDictionary(k => k, _ => 0L);
            long stepTicks = 0, step = 0;
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                model.train();
                foreach ((Tensor input, Tensor target) in train)
                {
                    using var scope = NewDisposeScope();
                    long start = Stopwatch.GetTimestamp();
                    optimizer.zero_grad();
                    nn.functional.cross_entropy(model.call(input), target).backward();
                    optimizer.step();
                    stepTicks += Stopwatch.GetTimestamp() - start;
                    step++;
                    foreach ((string name, ModelEma ema) in emas)
                    {
                        start = Stopwatch.GetTimestamp();
                        ema.Update(step, totalSteps);
                        updateTicks[name] += Stopwatch.GetTimestamp() - start;
                    }

                    start = Stopwatch.GetTimestamp();
                    postHoc.Update(step, totalSteps);
                    updateTicks["post-hoc"] += Stopwatch.GetTimestamp() - start;
                }

                Record("raw", TrainingApp.Validate(model, test));
                foreach ((string name, ModelEma ema) in emas)
                {
                    using (ema.UseEmaWeights())
                    {
                        Record(name, TrainingApp.Validate(model, test));
                    }
                }

                for (int i = 0; i < postHoc.Emas.Count; i++)
                {
                    using (postHoc.Emas[i].UseEmaWeights())
                    {
                        Record(FormattableString.Invariant($"power {postHoc.Options.SigmaRels[i]:F2}"), TrainingApp.Validate(model, test));
                    }
                }

                output.WriteLine($"seed {seed} epoch {epoch}/{epochs}: " + string.Join(", ", accuracy.Select(a => FormattableString.Invariant($"{a.Key} {a.Value[^1]:F4}"))));
            }

            long modelBytes = model.state_dict().Values.Sum(t => t.NumberOfElements * t.ElementSize);
            long emaBytes = emas["exp"].SizeInBytes;
            double[] grid = [0.02, 0.03, 0.05, 0.07, 0.10, 0.13, 0.16, 0.20, 0.25];
            var sweep = grid.Select(sigma => (sigma, SynthesizedAccuracy(postHoc.Options.SnapshotDirectory, sigma, model, test, output))).ToList();
            return new SeedResult(seed, accuracy, stepTicks / (double)Stopwatch.Frequency,
                updateTicks.ToDictionary(u => u.Key, u => u.Value / (double)Stopwatch.Frequency), sweep, emaBytes, modelBytes);
        }
        finally
        {
            foreach (ModelEma ema in emas.Values)
            {
                ema.Dispose();
            }
        }
    }

    /// <summary>
    /// The test accuracy of the EMA synthesized at <paramref name="sigmaRel"/> (into the model: its raw weights are done
    /// with), or NaN when the snapshots cannot give that profile closely enough: Synthesize refuses a fit more than 5%
    /// off, and the sweep reports the refusal instead of a number for weights that are not the asked-for average.
    /// </summary>
    private static double SynthesizedAccuracy(string snapshots, double sigmaRel, nn.Module<Tensor, Tensor> model, List<(Tensor Input, Tensor Target)> test, TextWriter output)
    {
        try
        {
            PostHocEma.Synthesize(snapshots, sigmaRel, model);
        }
        catch (ArgumentOutOfRangeException refused) when (refused.ParamName == "sigmaRel")
        {
            output.WriteLine($"post-hoc sigma_rel {sigmaRel.ToString(System.Globalization.CultureInfo.InvariantCulture)}: not synthesized ({refused.Message})");
            return double.NaN;
        }

        return TrainingApp.Validate(model, test);
    }
}
