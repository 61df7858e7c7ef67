using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

public sealed class KnowledgeDistillationTests
{
    [Fact]
    public void The_teacher_stays_bit_identical_and_checkpoints_hold_only_the_student()
    {
        using var dir = new TempDir();
        manual_seed(40);
        using var teacher = new LinearBatchNorm();
        using var student = new LinearBatchNorm();
        using var kd = new KnowledgeDistillationModule(student, teacher);
        using var loss = new KnowledgeDistillationLoss(Mse, distillationWeight: 0.5);
        Dictionary<string, float[]> teacherBefore = Snapshot(teacher), studentBefore = Snapshot(student);
        List<(Tensor, Tensor)> data = Batches(3, seed: 41);
        Dictionary<string, float[]>? ema = null, raw = null;
        var listener = new RecordingListener { AtEpochEnd = (c, _) => (ema, raw) = (Snapshot(c.Ema!.EmaWeights), Snapshot(c.Model)) };
        var trainingParams = new TrainingParams { MaxEpochs = 2, InitialLr = 0.1, Ema = true, EmaParams = new ConstantEmaParams(0.5) };
        using var trainer = new Trainer(kd, loss.Compute, trainingParams, options: new TrainerOptions { CheckpointDirectory = dir.Path, Listeners = [listener] });
        Assert.Same(student, trainer.Model);

        trainer.Train(data, data);

        AssertSame(teacherBefore, Snapshot(teacher)); // BatchNorm statistics and num_batches_tracked included
        Assert.True(AnyDifferent(studentBefore, Snapshot(student)));
        AssertSame(ema!, Snapshot(student)); // the student ends with its EMA
        string latest = dir.File(Checkpoint.LatestFileName);
        using (CheckpointContent opened = CheckpointContent.Open(latest))
        {
            var content = (SafetensorsContent)opened;
            var expected = student.state_dict().Keys.Select(k => CheckpointKeys.NetPrefix + k)
                .Concat(student.state_dict().Keys.Select(k => CheckpointKeys.EmaNetPrefix + k))
                .Append(CheckpointKeys.OptimizerState);
            Assert.Equal(expected.Order(), content.Tensors.Keys.Order());
            Assert.DoesNotContain(content.Tensors.Keys, k => k.Contains("teacher", StringComparison.Ordinal));
        }

        // net is the student's own (raw) weights of the last epoch, not its EMA, although the model ends with the EMA.
        AssertSame(raw!, ReadPrefix(latest, CheckpointKeys.NetPrefix));
        Assert.True(AnyDifferent(raw!, ema!));
        AssertSame(ema!, ReadPrefix(latest, CheckpointKeys.EmaNetPrefix));

        using var loaded = new LinearBatchNorm();
        Assert.Equal("ema_net", Checkpoint.LoadForInference(loaded, latest));
        AssertSame(ema!, Snapshot(loaded));
        Dispose(data);
    }

    [Fact]
    public void The_teacher_is_frozen_and_kept_in_eval_mode()
    {
        using var teacher = new LinearBatchNorm();
        using var student = new LinearBatchNorm();
        using var kd = new KnowledgeDistillationModule(student, teacher);
        kd.train();
        using Tensor input = randn(4, 3);
        using Tensor output = kd.TeacherForward(input);

        Assert.All(teacher.parameters(), p => Assert.False(p.requires_grad));
        Assert.False(output.requires_grad);
        Assert.False(teacher.training);
        Assert.Equal(0L, teacher.state_dict()["bn.num_batches_tracked"].item<long>());
    }
}
