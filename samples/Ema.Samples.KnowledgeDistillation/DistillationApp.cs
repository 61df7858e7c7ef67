using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Samples.KnowledgeDistillation;

/// <summary>
/// Knowledge distillation with the EMA of the student: the teacher stays frozen and is never written; the student
/// trains on the task loss plus the distance to the teacher's outputs, and its EMA is validated, checkpointed and
/// loaded for inference.
/// </summary>
public static class DistillationApp
{
    /// <summary>Runs the sample; returns the process exit code (0 only when the teacher is untouched and the EMA was loaded).</summary>
    /// <param name="args">The command line (see <see cref="DistillationArguments.Usage"/>).</param>
    /// <param name="output">Where to write progress and results.</param>
    public static int Run(string[] args, TextWriter output)
    {
        DistillationArguments arguments;
        try
        {
            arguments = DistillationArguments.Parse(args);
        }
        catch (ArgumentException e)
        {
            output.WriteLine($"error: {e.Message}");
            return 2;
        }

        string checkpoints = arguments.OutputDirectory ?? Directory.CreateTempSubdirectory("ema-kd-sample-").FullName;
        output.WriteLine($"checkpoints: {checkpoints}");

        // Every tensor made below, the data's intermediates and views included, is freed when the run ends: the
        // samples' tests run this in their own process several times.
        using var scope = NewDisposeScope();
        manual_seed(0);
        using Tensor xTrain = rand(2048, 1) * 4 - 2;
        using Tensor yTrain = xTrain.mul(3).sin() + (randn(2048, 1) * 0.3); // noisy targets
        using Tensor xValidation = linspace(-2, 2, 512).reshape(512, 1);
        using Tensor yValidation = xValidation.mul(3).sin();
        List<(Tensor, Tensor)> train = Enumerable.Range(0, 32).Select(i => (xTrain.narrow(0, i * 64, 64), yTrain.narrow(0, i * 64, 64))).ToList();
        List<(Tensor, Tensor)> validation = [(xValidation, yValidation)];

        var teacher = TrainTeacher(train, arguments.TeacherEpochs);
        float[] teacherBefore = teacher.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        var student = Mlp(hidden: 16);
        using var kd = new KnowledgeDistillationModule(student, teacher);
        using var distillation = new KnowledgeDistillationLoss((prediction, target) => nn.functional.mse_loss(prediction, target), distillationWeight: 0.7);
        var trainingParams = TrainingParams.FromJson("""
            {"max_epochs": 20, "initial_lr": 0.05, "ema": true, "ema_params": {"decay": 0.99, "decay_type": "threshold"}}
            """) with { MaxEpochs = arguments.Epochs };
        using var trainer = new Trainer(kd, distillation.Compute, trainingParams, optim.SGD(student.parameters(), trainingParams.InitialLr, momentum: 0.9),
            new TrainerOptions { CheckpointDirectory = checkpoints, ValidationMetric = (prediction, target) => nn.functional.mse_loss(prediction, target).item<float>() });

        foreach (EpochResult result in trainer.Train(train, validation).Where(r => r.Epoch % 5 == 0 || r.Epoch == arguments.Epochs))
        {
            output.WriteLine($"epoch {result.Epoch,2}  student validation MSE: raw {result.RawMetric:F4}  EMA {result.EmaMetric:F4}");
        }

        bool teacherUntouched = teacher.parameters().SelectMany(p => p.data<float>().ToArray()).SequenceEqual(teacherBefore);
        output.WriteLine($"teacher bit-identical after training: {teacherUntouched}");

        using var deployed = Mlp(hidden: 16);
        string latest = Path.Combine(checkpoints, Checkpoint.LatestFileName);
        string source = Checkpoint.LoadForInference(deployed, latest);
        output.WriteLine($"student loaded for inference from '{source}' of {latest}");
        return teacherUntouched && source == "ema_net" ? 0 : 1;
    }

    /// <summary>A teacher trained beforehand (here: briefly, with a plain loop).</summary>
    private static nn.Module<Tensor, Tensor> TrainTeacher(List<(Tensor, Tensor)> train, int epochs)
    {
        var teacher = Mlp(hidden: 64);
        using var optimizer = optim.Adam(teacher.parameters(), 0.01);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            foreach ((Tensor x, Tensor y) in train)
            {
                using var scope = NewDisposeScope();
                Tensor loss = nn.functional.mse_loss(teacher.call(x), y);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
        }

        return teacher;
    }

    private static nn.Module<Tensor, Tensor> Mlp(int hidden) =>
        nn.Sequential(("fc1", nn.Linear(1, hidden)), ("act", nn.Tanh()), ("fc2", nn.Linear(hidden, hidden)), ("act2", nn.Tanh()), ("fc3", nn.Linear(hidden, 1)));
}
