using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// A student trained to follow a frozen teacher. The teacher's parameters stop requiring grad, it stays in eval
/// mode (so BatchNorm statistics do not move), and it runs under <c>no_grad</c>: training never writes it.
/// The module's forward is the student's, so validation and inference see the student.
/// </summary>
public sealed class KnowledgeDistillationModule : nn.Module<Tensor, Tensor>
{
    /// <summary>Wraps <paramref name="student"/> and freezes <paramref name="teacher"/>.</summary>
    /// <param name="student">The model being trained, averaged and checkpointed.</param>
    /// <param name="teacher">The reference model; frozen here.</param>
    public KnowledgeDistillationModule(nn.Module<Tensor, Tensor> student, nn.Module<Tensor, Tensor> teacher)
        : base(nameof(KnowledgeDistillationModule))
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacher);
        if (ReferenceEquals(student, teacher))
        {
            throw new ArgumentException("The student and the teacher must be different modules.", nameof(teacher));
        }

        this.student = student;
        this.teacher = teacher;
        RegisterComponents();
        foreach (TorchSharp.Modules.Parameter parameter in teacher.parameters())
        {
            parameter.requires_grad = false;
        }

        teacher.eval();
    }

    // Field names are the submodule names ("student.*", "teacher.*").
#pragma warning disable IDE1006, SA1300
    private readonly nn.Module<Tensor, Tensor> student;
    private readonly nn.Module<Tensor, Tensor> teacher;
#pragma warning restore IDE1006, SA1300

    /// <summary>The model being trained.</summary>
    public nn.Module<Tensor, Tensor> Student => student;

    /// <summary>The frozen reference model.</summary>
    public nn.Module<Tensor, Tensor> Teacher => teacher;

    /// <summary>The student's output.</summary>
    /// <param name="input">A batch.</param>
    /// <returns>The student's output.</returns>
    public override Tensor forward(Tensor input) => student.call(input);

    /// <summary>The teacher's output, in eval mode and without grad.</summary>
    /// <param name="input">A batch.</param>
    /// <returns>The teacher's output (no grad).</returns>
    public Tensor TeacherForward(Tensor input)
    {
        // Someone may have called train() on this module; the teacher's BatchNorm statistics must not move.
        if (teacher.training)
        {
            teacher.eval();
        }

        using var _ = no_grad();
        return teacher.call(input);
    }
}
