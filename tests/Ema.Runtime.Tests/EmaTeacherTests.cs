using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>training_params ema_teacher: knowledge distillation with the student's own EMA as the teacher.</summary>
public sealed class EmaTeacherTests
{
    [Fact]
    public void The_teacher_computes_with_the_EMA_after_every_step_and_checkpoints_hold_only_the_student()
    {
        using var dir = new TempDir();
        manual_seed(50);
        using var student = new LinearBatchNorm();
        using var teacher = new LinearBatchNorm(); // a second instance of the student's architecture
        using var kd = new KnowledgeDistillationModule(student, teacher);
        using var loss = new KnowledgeDistillationLoss(Mse, distillationWeight: 0.5);
        List<(Tensor, Tensor)> data = Batches(3, seed: 51);
        int checkedSteps = 0;
        Dictionary<string, float[]>? lastEma = null;
        var listener = new RecordingListener
        {
            AtOptimizerStep = c =>
            {
                lastEma = Snapshot(c.Ema!.EmaWeights);
                AssertSame(lastEma, Snapshot(teacher)); // this step's update is already in the teacher
                checkedSteps++;
            },
        };
        var trainingParams = TrainingParams.FromJson("""{"max_epochs": 2, "initial_lr": 0.1, "ema": true, "ema_teacher": true, "ema_params": {"decay_type": "cosine", "decay": 0.5}}""");
        using var trainer = new Trainer(kd, loss.Compute, trainingParams, options: new TrainerOptions { CheckpointDirectory = dir.Path, Listeners = [listener] });

        trainer.Train(data, data);

        Assert.Equal(6, checkedSteps);
        AssertSame(lastEma!, Snapshot(teacher)); // unbound at the end with its own copy of the final EMA
        AssertSame(lastEma!, Snapshot(student)); // the student ends with its EMA, as always
        Assert.All(teacher.parameters(), p => Assert.False(p.requires_grad));
        using (var content = (SafetensorsContent)CheckpointContent.Open(dir.File(Checkpoint.LatestFileName)))
        {
            Assert.DoesNotContain(content.Tensors.Keys, k => k.Contains("teacher", StringComparison.Ordinal));
            Assert.Contains(CheckpointKeys.EmaNetPrefix + "linear.weight", content.Tensors.Keys);
        }

        Dispose(data);
    }

    [Fact]
    public void The_switch_loads_from_json_and_is_refused_where_it_cannot_work()
    {
        Assert.True(TrainingParams.FromJson("""{"ema": true, "ema_teacher": true}""").EmaTeacher);
        Assert.False(new TrainingParams().EmaTeacher);
        var on = new TrainingParams { Ema = true, EmaTeacher = true };
        Assert.Equal(on, TrainingParams.FromJson(on.ToJson()));

        using var student = new LinearBatchNorm();
        using var teacher = new LinearBatchNorm();
        using var kd = new KnowledgeDistillationModule(student, teacher);
        using var loss = new KnowledgeDistillationLoss(Mse, distillationWeight: 0.5);
        ArgumentException noEma = Assert.Throws<ArgumentException>(() => new Trainer(kd, loss.Compute, new TrainingParams { EmaTeacher = true }));
        Assert.Contains("ema_teacher = true needs ema = true", noEma.Message);

        using var model = new LinearBatchNorm();
        ArgumentException supervised = Assert.Throws<ArgumentException>(() => new Trainer(model, Mse, on));
        Assert.Contains("is for knowledge distillation", supervised.Message);
    }
}
