using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>What differs between plain training and knowledge distillation: how a batch becomes a loss.</summary>
internal interface ITrainingTask
{
    /// <summary>The module trained, averaged and checkpointed.</summary>
    nn.Module Trained { get; }

    /// <summary>The loss of a training batch (with grad).</summary>
    Tensor TrainingLoss(Tensor input, Tensor target);

    /// <summary>The output for validation, and the validation loss.</summary>
    (Tensor Output, Tensor Loss) Validate(Tensor input, Tensor target);
}

/// <summary>Plain training: <c>loss(model(input), target)</c>.</summary>
internal sealed class SupervisedTask(nn.Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> loss) : ITrainingTask
{
    public nn.Module Trained => model;

    public Tensor TrainingLoss(Tensor input, Tensor target) => loss(model.call(input), target);

    public (Tensor Output, Tensor Loss) Validate(Tensor input, Tensor target)
    {
        Tensor output = model.call(input);
        return (output, loss(output, target));
    }
}

/// <summary>Knowledge distillation: <c>loss(student(input), teacher(input), target)</c>; only the student trains.</summary>
internal sealed class DistillationTask(KnowledgeDistillationModule module, KnowledgeDistillationLossFunction loss) : ITrainingTask
{
    public nn.Module Trained => module.Student;

    public KnowledgeDistillationModule Module => module;

    public Tensor TrainingLoss(Tensor input, Tensor target) =>
        loss(module.Student.call(input), module.TeacherForward(input), target);

    public (Tensor Output, Tensor Loss) Validate(Tensor input, Tensor target)
    {
        Tensor output = module.Student.call(input);
        return (output, loss(output, module.TeacherForward(input), target));
    }
}
