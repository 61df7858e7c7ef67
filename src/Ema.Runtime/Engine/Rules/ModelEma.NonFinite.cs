using System.Globalization;
using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>The non-finite policy (<see cref="NonFinitePolicy"/>) where the EMA meets the model: at construction, at each update and before its weights are handed out or saved.</summary>
public sealed partial class ModelEma
{
    /// <summary>
    /// The first model tensor the EMA must not take at an update, and what the check refuses there: NaN or infinity
    /// (or, for an EMA narrower than the model, a value beyond its range) in an averaged group, or NaN or infinity in a
    /// tensor left out by <see cref="ModelEmaOptions.Exclude"/> (the EMA hands out the model's own tensor for it).
    /// </summary>
    private (string Name, string Values)? FindNonFiniteInModel()
    {
        foreach (TensorGroup group in _groups)
        {
            if (group.ModelHasNonFinite())
            {
                TensorSlot slot = group.Slots.First(group.ModelHasNonFinite);
                return (slot.Names[0], group.RefusedValues);
            }
        }

        return _selection.FindNonFinite() is { } excluded ? (excluded, "NaN or infinity (it is left out by ModelEmaOptions.Exclude, so the EMA hands out the model's own tensor)") : null;
    }

    private void RefuseNonFinite(long step, string name, string values)
    {
        bool refuse = Options.NonFinite == NonFinitePolicy.Throw;
        string message = $"The model's weights hold {values} at step {ConfigErrors.Format(step)} (first in '{name}'): the EMA update was {(refuse ? "refused" : "skipped")} and the EMA keeps its last finite weights.";
        if (refuse)
        {
            throw new NonFiniteWeightsException(message, step);
        }

        SkippedUpdates++;
        if (BitOperations.IsPow2(SkippedUpdates))
        {
            // A run that goes on after its weights turned NaN skips every step: one line per step would bury the log.
            ConfigWarnings.To(Options.Logger)(string.Create(CultureInfo.InvariantCulture,
                $"{message} {SkippedUpdates} update(s) skipped so far; this warning repeats at the 2nd, 4th, 8th, ... skip (ModelEma.SkippedUpdates counts every one)."));
        }
    }

    /// <summary>
    /// Refuses (with <see cref="NonFiniteWeightsException"/> naming the tensor) to hand the EMA's weights to a file when
    /// any holds NaN or infinity that the policy does not allow: the averaged ones cannot (updates are checked), but a
    /// tensor left out by <see cref="ModelEmaOptions.Exclude"/> is the model's own and may. Reads the EMA once.
    /// </summary>
    /// <param name="operation">The writer as the message names it, for example <c>"Checkpoint.Save"</c>.</param>
    internal void ThrowIfHoldsNonFinite(string operation)
    {
        ThrowIfUnusable();
        if (Options.NonFinite == NonFinitePolicy.Ignore)
        {
            return;
        }

        (string Name, string Found)? found = null;
        using (no_grad())
        {
            foreach (TensorGroup group in _groups)
            {
                found ??= group.FindNonFiniteEma();
            }

            found ??= _selection.FindNonFinite() is { } excluded ? (excluded, "NaN or infinity (it is left out by ModelEmaOptions.Exclude: the model's own tensor)") : null;
        }

        if (found is { } bad)
        {
            throw new NonFiniteWeightsException(
                $"{operation} refused to write the EMA: its tensor '{bad.Name}' holds {bad.Found}, which ModelEmaOptions.NonFinite = {Options.NonFinite} does not allow in the EMA. Nothing was written.",
                Step);
        }
    }

    /// <summary>
    /// Refuses, before anything is made, a model the EMA cannot start from: a complex tensor (neither averaged nor
    /// written to a checkpoint), a value its dtype cannot hold, or (unless the policy is Ignore) NaN or infinity.
    /// </summary>
    private static void CheckStartingValues(List<List<(string[] Names, Tensor Tensor)>> members, EmaSelection selection, ModelEmaOptions options)
    {
        using (no_grad())
        {
            foreach ((string[] names, Tensor tensor) in members.SelectMany(g => g))
            {
                if (tensor.is_complex())
                {
                    throw new ArgumentException(
                        $"The model's tensor '{names[0]}' is {tensor.dtype}: complex tensors are neither averaged nor written to checkpoints. " +
                        "Leave it out of the EMA (ModelEmaOptions.Exclude = EmaExclude.Names(...)) or keep it outside the model's state dict.", "model");
                }

                if (!tensor.is_floating_point())
                {
                    continue;
                }

                ScalarType emaDtype = options.FloatingDtype ?? tensor.dtype;
                double limit = FloatingDtypes.NarrowingLimit(tensor.dtype, emaDtype);
                if (NonFiniteProbe.FindNonFinite(tensor, limit) is { } found)
                {
                    if (found.StartsWith("NaN", StringComparison.Ordinal))
                    {
                        if (options.NonFinite != NonFinitePolicy.Ignore)
                        {
                            throw new NonFiniteWeightsException(
                                $"The model's tensor '{names[0]}' holds NaN or infinity: the EMA would start from it. Make the ModelEma from finite weights " +
                                "(or set ModelEmaOptions.NonFinite = NonFinitePolicy.Ignore to allow it).", 0);
                        }
                    }
                    else
                    {
                        throw new ArgumentException(
                            $"The model's tensor '{names[0]}' holds {found}: ModelEmaOptions.FloatingDtype = {emaDtype} cannot hold the model's values. " +
                            "Keep the EMA in the model's dtype or a wider one (Float32).", "options");
                    }
                }
            }

            if (options.NonFinite != NonFinitePolicy.Ignore && selection.FindNonFinite() is { } excluded)
            {
                throw new NonFiniteWeightsException(
                    $"The model's tensor '{excluded}' holds NaN or infinity: it is left out by ModelEmaOptions.Exclude, so the EMA would hand it out as it is. " +
                    "Make the ModelEma from finite weights.", 0);
            }
        }
    }
}
