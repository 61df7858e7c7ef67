using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// A default distillation loss: <c>(1 - w) * task(student, target) + w * mse(student, teacher)</c>.
/// Pass <see cref="Compute"/> as the trainer's <see cref="KnowledgeDistillationLossFunction"/>; dispose when done.
/// </summary>
public sealed class KnowledgeDistillationLoss : IDisposable
{
    private readonly Func<Tensor, Tensor, Tensor> _taskLoss;

    // Scalars are not tracked by dispose scopes: made once here and disposed with the loss.
    private readonly Scalar _taskWeight;
    private readonly Scalar _distillationWeight;

    /// <summary>Creates the loss.</summary>
    /// <param name="taskLoss">The task loss from (student output, target).</param>
    /// <param name="distillationWeight">The weight <c>w</c> of the term that pulls the student to the teacher, in [0, 1].</param>
    public KnowledgeDistillationLoss(Func<Tensor, Tensor, Tensor> taskLoss, double distillationWeight = 0.5)
    {
        ArgumentNullException.ThrowIfNull(taskLoss);
        if (!(distillationWeight >= 0.0 && distillationWeight <= 1.0))
        {
            throw ConfigErrors.ArgumentOutOfRange(nameof(distillationWeight), $"The distillation weight {ConfigErrors.Format(distillationWeight)} is outside the allowed range: it must lie in [0, 1].");
        }

        _taskLoss = taskLoss;
        DistillationWeight = distillationWeight;
        _taskWeight = (1.0 - distillationWeight).ToScalar();
        _distillationWeight = distillationWeight.ToScalar();
    }

    /// <summary>The weight of the term that pulls the student to the teacher.</summary>
    public double DistillationWeight { get; }

    /// <summary>The loss of one batch.</summary>
    /// <param name="studentOutput">The student's output.</param>
    /// <param name="teacherOutput">The teacher's output.</param>
    /// <param name="target">The target.</param>
    /// <returns>The weighted sum, a scalar tensor.</returns>
    public Tensor Compute(Tensor studentOutput, Tensor teacherOutput, Tensor target)
    {
        using var scope = NewDisposeScope();
        Tensor task = _taskLoss(studentOutput, target);
        Tensor distill = nn.functional.mse_loss(studentOutput, teacherOutput);
        return (task.mul(_taskWeight) + distill.mul(_distillationWeight)).MoveToOuterDisposeScope();
    }

    /// <summary>Frees the cached scalars.</summary>
    public void Dispose()
    {
        _taskWeight.Dispose();
        _distillationWeight.Dispose();
    }
}
