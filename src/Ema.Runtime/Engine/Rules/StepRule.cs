using System.Globalization;

namespace Ema;

/// <summary>
/// The one rule for the steps an EMA is updated with: a step counts optimizer steps from 1, each update's step is
/// greater than the previous one's (or than the step a checkpoint restored), and where the schedule reads the total
/// it is at most <c>totalSteps</c>. Every update path (<see cref="ModelEma.Update(long, long)"/>, <see cref="PostHocEma.Update"/>)
/// checks it here, before anything changes.
/// </summary>
/// <remarks>
/// Why: step 0 gives most schedules decay 0 (the EMA jumps to the model); a step that goes backwards is almost always
/// the batch index inside an epoch passed by mistake (the schedule then restarts every epoch); a step past the total
/// freezes a schedule that reads it (<c>cosine</c> stays at decay 1, <c>exp</c> keeps rising) without a word.
/// </remarks>
internal static class StepRule
{
    /// <summary>Throws unless <paramref name="step"/> may follow <paramref name="previousStep"/>.</summary>
    /// <param name="operation">The caller as the message names it, for example <c>"ModelEma.Update"</c>.</param>
    /// <param name="step">The step passed.</param>
    /// <param name="previousStep">The step of the previous accepted call, or the step restored by a load (0 before any).</param>
    /// <param name="totalSteps">The total passed.</param>
    /// <param name="totalReader">The <c>decay_type</c> of a schedule that reads the total, or null when it does not.</param>
    /// <exception cref="ArgumentOutOfRangeException">The step or the total breaks the rule; the message names the value and the rule.</exception>
    public static void Check(string operation, long step, long previousStep, long totalSteps, string? totalReader)
    {
        if (totalSteps < 1)
        {
            throw ConfigErrors.ArgumentOutOfRange(nameof(totalSteps), Invariant(
                $"{operation}: totalSteps = {totalSteps} is outside the allowed range: it must be at least 1 (batches per epoch x max epochs)."));
        }

        if (step < 1)
        {
            throw ConfigErrors.ArgumentOutOfRange(nameof(step), Invariant(
                $"{operation}: step = {step} is outside the allowed range: steps count optimizer steps from 1 (step 0 would give most schedules decay 0)."));
        }

        if (step <= previousStep)
        {
            throw ConfigErrors.ArgumentOutOfRange(nameof(step), string.Create(CultureInfo.InvariantCulture,
                $"{operation}: step = {step} does not come after the previous step {previousStep}: each update's step must be greater than the last one's " +
                $"(or than the step a checkpoint restored). Pass the global optimizer step, not the batch index inside the epoch."));
        }

        if (totalReader is not null && step > totalSteps)
        {
            throw ConfigErrors.ArgumentOutOfRange(nameof(step), string.Create(CultureInfo.InvariantCulture,
                $"{operation}: step = {step} is past totalSteps = {totalSteps}: the '{totalReader}' schedule reads the total, and past it the decay " +
                $"no longer follows the schedule (cosine freezes the EMA). Pass the real total: batches per epoch x max epochs, counting the epochs of a resumed run."));
        }
    }

    /// <summary>
    /// Whether the schedule's decay depends on <c>totalSteps</c>. The built-in schedules that do not are named here;
    /// any other schedule (<c>exp</c>, <c>cosine</c>, and every user schedule, whose code cannot be told) counts as one
    /// that does, so a step past the total is an error for it.
    /// </summary>
    public static bool ReadsTotal(IDecayFunction schedule) =>
        schedule is not (ConstantDecay or ThresholdDecay or WarmupDecay or TauDecay or PowerDecay or SwaDecay or BemaDecay or HalfLifeDecay);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
