using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Samples.Training;

/// <summary>
/// <c>--compare-averaging</c>: the main job's noisy-label task trained once per averaging form from the same
/// initialization and data order (the config's EMA, SWA with and without recomputed BatchNorm statistics, BEMA,
/// Switch EMA), and the final clean validation accuracies side by side. The classifier has BatchNorm here (the main
/// job's has none), so that recomputing the statistics has something to do. Which form wins is printed, not assumed.
/// </summary>
internal static class AveragingComparison
{
    public static int Run(SampleArguments arguments, TrainingParams trainingParams, Device device, TextWriter output)
    {
        TrainingParams withEma = trainingParams with { Ema = true };
        long batchesPerEpoch = (arguments.TrainSize + TrainingApp.BatchSize - 1) / TrainingApp.BatchSize;
        long totalSteps = batchesPerEpoch * withEma.MaxEpochs;
        (string Name, TrainingParams Params)[] forms =
        [
            ($"config ({withEma.EmaParams.DecayType})", withEma),
            ("swa from half-way", withEma with { EmaParams = new SwaEmaParams(swaStart: totalSteps / 2) }),
            ("swa from half-way + recompute bn", withEma with { EmaParams = new SwaEmaParams(swaStart: totalSteps / 2), EmaRecomputeBn = BatchNormRecompute.Validation }),
            ("bema (defaults)", withEma with { EmaParams = new BemaEmaParams() }),
            ("bema + recompute bn", withEma with { EmaParams = new BemaEmaParams(), EmaRecomputeBn = BatchNormRecompute.Validation }),
            ("switch ema every epoch", withEma with { EmaOptions = withEma.EmaOptions with { SwitchEvery = batchesPerEpoch } }),
        ];
        output.WriteLine($"averaging forms, {withEma.MaxEpochs} epochs of {batchesPerEpoch} steps, classifier with BatchNorm, same initialization and data order");
        foreach ((string name, TrainingParams form) in forms)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            EpochResult result = TrainingApp.WithData(arguments, device, (train, validation) => Train(train, validation, form, device));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-34} final validation accuracy: raw {result.RawMetric:F4}, EMA {result.EmaMetric:F4} ({watch.Elapsed.TotalSeconds:F1} s)"));
        }

        return 0;
    }

    private static EpochResult Train(IReadOnlyCollection<(Tensor Input, Tensor Target)> train, List<(Tensor Input, Tensor Target)> validation, TrainingParams trainingParams, Device device)
    {
        manual_seed(10); // the same initialization in every run
        using var model = Classifier(device);
        using var optimizer = optim.SGD(model.parameters(), trainingParams.InitialLr, momentum: 0.9);
        var options = new TrainerOptions { ValidationMetric = TrainingApp.Accuracy, GreaterIsBetter = true };
        using var trainer = new Trainer(model, (logits, target) => nn.functional.cross_entropy(logits, target), trainingParams, optimizer, options);
        return trainer.Train(train, validation)[^1];
    }

    private static nn.Module<Tensor, Tensor> Classifier(Device device)
    {
        var model = nn.Sequential(
            ("fc1", nn.Linear(2, 128)), ("bn1", nn.BatchNorm1d(128)), ("act1", nn.ReLU()),
            ("fc2", nn.Linear(128, 128)), ("bn2", nn.BatchNorm1d(128)), ("act2", nn.ReLU()),
            ("fc3", nn.Linear(128, SyntheticData.Classes)));
        model.to(device);
        return model;
    }
}
