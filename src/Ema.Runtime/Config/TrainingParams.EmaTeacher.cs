namespace Ema;

public sealed partial record TrainingParams
{
    /// <summary>
    /// <c>ema_teacher</c>: in knowledge distillation, the teacher is the student's own EMA (self-distillation, the
    /// mean teacher): the trainer binds the <see cref="KnowledgeDistillationModule.Teacher"/> module, a second
    /// instance of the student's architecture, to the EMA (<see cref="ModelEma.BindTwin"/>) at training start, so it
    /// computes with the EMA weights as they are after each optimizer step. Needs <c>ema: true</c> and the
    /// distillation trainer. Default false.
    /// </summary>
    public bool EmaTeacher { get; init; }
}
