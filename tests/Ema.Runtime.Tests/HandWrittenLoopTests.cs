using TorchSharp;
using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// The hand-written loop of docs/training.md ("Your own loop"): its code is the region below, so the example
/// compiles and runs, and it gives what the Trainer gives.
/// </summary>
public sealed class HandWrittenLoopTests
{
    private const string Region = "hand-written-loop";

    // docs/training.md shows the lines between the region markers, de-indented; a test below keeps them equal.
    // region: hand-written-loop
    // using Ema; using TorchSharp; using static TorchSharp.torch;
    // One optimizer step per batch (batch_accumulate 1), EMA on, the model already on its device.
    public static IReadOnlyList<EpochResult> TrainByHand(
        nn.Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> loss, TrainingParams trainingParams,
        IReadOnlyList<(Tensor Input, Tensor Target)> trainBatches,
        IReadOnlyList<(Tensor Input, Tensor Target)> validationBatches, string checkpointDirectory)
    {
        using var optimizer = optim.SGD(model.parameters(), trainingParams.InitialLr);
        var context = new TrainingContext(model, optimizer, trainingParams, batchesPerEpoch: trainBatches.Count);
        using var ema = new EmaCallback(trainingParams.EmaParams);
        var checkpoints = new CheckpointCallback(checkpointDirectory);
        var results = new List<EpochResult>();
        double best = double.PositiveInfinity; // the watched metric is the validation loss: lower is better

        // The mean validation loss of the weights the model holds now.
        double Validate()
        {
            model.eval();
            using var noGrad = no_grad();
            double sum = 0;
            foreach ((Tensor input, Tensor target) in validationBatches)
            {
                using var scope = NewDisposeScope();
                sum += loss(model.call(input), target).ToDouble();
            }

            return sum / validationBatches.Count;
        }

        ema.OnTrainingStart(context); // the EMA starts from the model's weights
        for (int epoch = 1; epoch <= trainingParams.MaxEpochs; epoch++)
        {
            context.Epoch = epoch;
            model.train();
            double lossSum = 0;
            foreach ((Tensor input, Tensor target) in trainBatches)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                Tensor batchLoss = loss(model.call(input), target);
                lossSum += batchLoss.ToDouble();
                batchLoss.backward();
                optimizer.step();
                context.GlobalStep++; // the index of this step's batch, from 1
                ema.OnOptimizerStep(context); // ema.Update(GlobalStep, TotalSteps)
            }

            double rawMetric = Validate(); // the raw weights
            ema.OnValidationStart(context); // EMA weights in
            double emaMetric = Validate();
            ema.OnValidationEnd(context); // raw weights back
            bool isBest = emaMetric < best;
            best = Math.Min(best, emaMetric);
            var result = new EpochResult(epoch, lossSum / trainBatches.Count, rawMetric, emaMetric, best, isBest);
            checkpoints.OnEpochEnd(context, result); // ckpt_latest, and ckpt_best when isBest
            results.Add(result);
        }

        ema.OnTrainingEnd(context); // the model takes the EMA weights
        return results;
    }

    // endregion: hand-written-loop

    [Fact]
    public void The_loop_gives_what_the_Trainer_gives_bit_for_bit()
    {
        var trainingParams = new TrainingParams { MaxEpochs = 3, InitialLr = 0.1, Ema = true, EmaParams = new ExpEmaParams(decay: 0.9, beta: 4) };
        List<(Tensor Input, Tensor Target)> train = Batches(3, seed: 11), validation = Batches(2, seed: 12);
        using var byHandDir = new TempDir();
        using var trainerDir = new TempDir();
        // One initialization copied into the second model: torch's random generator is process-wide, and test
        // classes running in parallel would draw from it between two manual_seed calls.
        using var byHand = new LinearBatchNorm();
        using var trained = new LinearBatchNorm();
        trained.load_state_dict(byHand.state_dict());
        AssertSame(Snapshot(byHand), Snapshot(trained));

        IReadOnlyList<EpochResult> byHandResults = TrainByHand(byHand, Mse, trainingParams, train, validation, byHandDir.Path);
        using var trainer = new Trainer(trained, Mse, trainingParams, options: new TrainerOptions { CheckpointDirectory = trainerDir.Path });
        IReadOnlyList<EpochResult> trainerResults = trainer.Train(train, validation);

        Assert.Equal(trainerResults, byHandResults);
        AssertSame(Snapshot(trained), Snapshot(byHand));
        foreach (string file in new[] { Checkpoint.LatestFileName, Checkpoint.BestFileName })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(trainerDir.Path, file)), File.ReadAllBytes(Path.Combine(byHandDir.Path, file)));
        }

        // Not a trivial agreement: the EMA moved away from the raw weights.
        Assert.All(byHandResults, r => Assert.NotEqual(r.RawMetric, r.EmaMetric!.Value));
        Dispose(train);
        Dispose(validation);
    }

    [Fact]
    public void Docs_training_md_shows_exactly_this_loop()
    {
        string root = RepositoryRoot.Find();
        string[] source = File.ReadAllLines(Path.Combine(root, "tests", "Ema.Runtime.Tests", nameof(HandWrittenLoopTests) + ".cs"));
        string[] doc = File.ReadAllLines(Path.Combine(root, "docs", "training.md"));

        Assert.Equal(Dedent(Between(source, "// region: " + Region, "// endregion: " + Region)), DocBlock(doc));
    }

    /// <summary>The lines strictly between the marker lines, without trailing blank lines.</summary>
    private static List<string> Between(string[] lines, string begin, string end)
    {
        int first = Array.FindIndex(lines, l => l.Trim() == begin);
        int last = Array.FindIndex(lines, l => l.Trim() == end);
        Assert.True(first >= 0 && last > first, $"markers '{begin}' ... '{end}' not found in order");
        List<string> between = lines[(first + 1)..last].ToList();
        while (between.Count > 0 && between[^1].Length == 0)
        {
            between.RemoveAt(between.Count - 1);
        }

        return between;
    }

    private static List<string> Dedent(List<string> lines)
    {
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return lines.Select(l => l.Trim().Length == 0 ? string.Empty : l[indent..]).ToList();
    }

    /// <summary>The first csharp code block after the doc's comment that names this region.</summary>
    private static List<string> DocBlock(string[] doc)
    {
        int marker = Array.FindIndex(doc, l => l.Contains("<!-- " + Region, StringComparison.Ordinal));
        Assert.True(marker >= 0, $"docs/training.md has no '<!-- {Region}' comment");
        int open = Array.FindIndex(doc, marker, l => l.Trim() == "```csharp");
        int close = Array.FindIndex(doc, open + 1, l => l.Trim() == "```");
        Assert.True(open > marker && close > open, "no csharp block after the marker");
        return doc[(open + 1)..close].ToList();
    }
}
