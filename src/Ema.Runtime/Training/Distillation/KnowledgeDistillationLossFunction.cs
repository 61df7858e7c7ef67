using static TorchSharp.torch;

namespace Ema;

/// <summary>The loss of knowledge distillation: from the student's output, the teacher's output and the target.</summary>
/// <param name="studentOutput">The student's output (with grad).</param>
/// <param name="teacherOutput">The teacher's output (no grad).</param>
/// <param name="target">The batch's target.</param>
/// <returns>A scalar loss.</returns>
public delegate Tensor KnowledgeDistillationLossFunction(Tensor studentOutput, Tensor teacherOutput, Tensor target);
