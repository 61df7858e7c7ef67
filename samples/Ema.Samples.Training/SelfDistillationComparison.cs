using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Samples.Training;

/// <summary>
/// <c>--self-distill</c>: the main job's noisy-label task trained twice from the same initialization and data order,
/// plainly and with the student's own EMA as its distillation teacher (<c>ema_teacher</c>), and the final clean
/// validation accuracies side by side. Whether self-distillation wins is printed, not assumed.
/// </summary>
internal static class SelfDistillationComparison
{
    private const double DistillationWeight = 0.5;

    public static int Run(SampleArguments arguments, TrainingParams trainingParams, Device device, TextWriter output)
    {
        TrainingParams withEma = trainingParams with { Ema = true };
        output.WriteLine($"self-distillation vs plain training, {withEma.MaxEpochs} epochs, ema_params {withEma.EmaParams.ToJson()}, distillation weight {DistillationWeight}");
        EpochResult plain = TrainingApp.WithData(arguments, device, (train, validation) => Plain(train, validation, withEma, device));
        EpochResult selfDistilled = TrainingApp.WithData(arguments, device, (train, validation) => SelfDistilled(train, validation, withEma with { EmaTeacher = true }, device));

        output.WriteLine(Line("plain", plain));
        output.WriteLine(Line("self-distilled (ema_teacher)", selfDistilled));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"self-distillation minus plain: student {selfDistilled.RawMetric - plain.RawMetric:+0.0000;-0.0000}, EMA {selfDistilled.EmaMetric - plain.EmaMetric:+0.0000;-0.0000}"));
        return 0;
    }

    private static EpochResult Plain(IReadOnlyCollection<(Tensor Input, Tensor Target)> train, List<(Tensor Input, Tensor Target)> validation, TrainingParams trainingParams, Device device)
    {
        manual_seed(10); // the same initialization in both runs
        using var model = TrainingApp.Classifier(device);
        using var optimizer = optim.SGD(model.parameters(), trainingParams.InitialLr, momentum: 0.9);
        using var trainer = new Trainer(model, (logits, target) => nn.functional.cross_entropy(logits, target), trainingParams, optimizer, Options());
        return trainer.Train(train, validation)[^1];
    }

    private static EpochResult SelfDistilled(IReadOnlyCollection<(Tensor Input, Tensor Target)> train, List<(Tensor Input, Tensor Target)> validation, TrainingParams trainingParams, Device device)
    {
        manual_seed(10);
        using var student = TrainingApp.Classifier(device);
        using var teacher = TrainingApp.Classifier(device); // its weights are replaced by views of the student's EMA
        using var kd = new KnowledgeDistillationModule(student, teacher);
        using var loss = new KnowledgeDistillationLoss((logits, target) => nn.functional.cross_entropy(logits, target), DistillationWeight);
        using var optimizer = optim.SGD(student.parameters(), trainingParams.InitialLr, momentum: 0.9);
        using var trainer = new Trainer(kd, loss.Compute, trainingParams, optimizer, Options());
        return trainer.Train(train, validation)[^1];
    }

    private static TrainerOptions Options() => new() { ValidationMetric = TrainingApp.Accuracy, GreaterIsBetter = true };

    private static string Line(string name, EpochResult result) => string.Create(CultureInfo.InvariantCulture,
        $"{name,-30} final validation accuracy: student {result.RawMetric:F4}, EMA {result.EmaMetric:F4}");
}
