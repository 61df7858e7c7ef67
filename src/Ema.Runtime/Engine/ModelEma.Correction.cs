using System.Globalization;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// A schedule that also shapes what the EMA hands out (<see cref="IOutputCorrection"/>, the <c>bema</c> schedule):
/// the EMA's buffer holds <c>average + a_t (theta_t - theta_0)</c>, the running average and the anchor theta_0 live
/// beside it. Checkpoints save both under <see cref="CheckpointKeys.BemaAverage"/> and <see cref="CheckpointKeys.BemaAnchor"/>.
/// </summary>
public sealed partial class ModelEma
{
    private IOutputCorrection? Correction => _schedule as IOutputCorrection;

    /// <summary>
    /// A corrected schedule's state by checkpoint section (<see cref="CheckpointKeys.BemaAverage"/>, <see cref="CheckpointKeys.BemaAnchor"/>),
    /// each by state-dict name, for averaged tensors only (integer buffers and left-out tensors have none); null for
    /// a schedule without correction.
    /// </summary>
    internal IReadOnlyDictionary<string, Dictionary<string, Tensor>>? CorrectionState
    {
        get
        {
            if (Correction is null)
            {
                return null;
            }

            var average = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var anchor = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (TensorGroup group in _groups.Where(g => g.AverageViews is not null))
            {
                for (int i = 0; i < group.Slots.Length; i++)
                {
                    foreach (string name in group.Slots[i].Names.Where(n => !_selection.IsExcluded(n)))
                    {
                        average[name] = group.AverageViews![i];
                        anchor[name] = group.AnchorViews![i];
                    }
                }
            }

            return new Dictionary<string, Dictionary<string, Tensor>>(StringComparer.Ordinal) { [CheckpointKeys.BemaAverage] = average, [CheckpointKeys.BemaAnchor] = anchor };
        }
    }

    /// <summary>The step up to which a corrected schedule's anchor follows the model, or null without correction.</summary>
    internal long? CorrectionAnchorStep => Correction?.AnchorStep;

    /// <summary>Restores a corrected schedule's state (after <see cref="Load(Action{string, Tensor}, long)"/> restored the handed-out weights).</summary>
    internal void LoadCorrection(Action<string, string, Tensor> fill)
    {
        ThrowIfUnusable();
        using (no_grad())
        {
            foreach ((string section, Dictionary<string, Tensor> tensors) in CorrectionState!)
            {
                foreach ((string name, Tensor target) in tensors)
                {
                    fill(section, name, target);
                }
            }
        }
    }

    /// <summary>
    /// A load of the handed-out weights alone restores a corrected schedule only where the average and the anchor
    /// follow the model (steps up to the anchor step); later the two are lost, and guessing them would hand out wrong weights.
    /// </summary>
    internal void ThrowIfCorrectionIsNeeded(long step)
    {
        if (Correction is { } correction && step > correction.AnchorStep)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The '{EmaParams.DecayType}' EMA at step {step} (after its anchor step {correction.AnchorStep}) cannot be restored from the weights it hands out alone: " +
                $"it also needs its running average and anchor (checkpoint sections '{CheckpointKeys.BemaAverage}' and '{CheckpointKeys.BemaAnchor}'). Restore it with Checkpoint.Resume from a checkpoint that has them."));
        }
    }

    /// <summary>After a load at a step where they follow the model: the average and the anchor are the loaded weights.</summary>
    internal void ResetCorrectionToEma()
    {
        using (no_grad())
        {
            foreach (TensorGroup group in _groups)
            {
                group.ResetCorrectionToEma();
            }
        }
    }

    private void KeepCorrection()
    {
        if (Correction is null)
        {
            return;
        }

        using (no_grad())
        {
            foreach (TensorGroup group in _groups)
            {
                group.KeepCorrection();
            }
        }
    }

    private void UpdateGroups(long step, double decay)
    {
        if (Correction is not { } correction)
        {
            foreach (TensorGroup group in _groups)
            {
                group.Update(decay);
            }

            return;
        }

        bool followModel = step <= correction.AnchorStep;
        double weight = followModel ? 0.0 : correction.Weight(step);
        foreach (TensorGroup group in _groups)
        {
            group.UpdateCorrected(decay, weight, followModel);
        }
    }
}
