using static TorchSharp.torch;

namespace Ema;

/// <summary>The training keys of the averaging forms: Switch EMA, batch scaling, BatchNorm recomputation.</summary>
public sealed partial class Trainer
{
    /// <summary>The averaging keys act on the EMA: without <c>ema</c> they are an error, not silently ignored.</summary>
    private void CheckAveragingKeys()
    {
        ModelEmaOptions options = Params.EmaOptions;
        var defaults = new ModelEmaOptions();
        if (!Params.Ema)
        {
            string? key = Params.EmaRecomputeBn != BatchNormRecompute.None ? "ema_recompute_bn"
                : options.UpdateEvery != defaults.UpdateEvery ? "ema_update_every"
                : options.SwitchEvery != defaults.SwitchEvery ? "ema_switch_every"
                : options.SwitchBlend != defaults.SwitchBlend ? "ema_switch_blend"
                : options.BatchScale != defaults.BatchScale ? "ema_batch_scale"
                : null;
            if (key is not null)
            {
                throw new ArgumentException($"training_params {key} acts on the EMA and needs ema = true.");
            }

            return;
        }

        // EmaOptions set in code never passed the binder: the same rule, in the keys' names, before anything runs.
        if (options.CadenceConflict("training_params ema_switch_every", "ema_update_every") is { } conflict)
        {
            throw new ArgumentException(conflict);
        }

        if (options.SwitchEvery == 0 && options.SwitchBlend != defaults.SwitchBlend)
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"training_params ema_switch_blend = {options.SwitchBlend} blends the switches of ema_switch_every, which is 0 (no switches): set ema_switch_every, or leave ema_switch_blend out."));
        }
    }

    /// <summary><c>ema_recompute_bn</c>: the EMA's BatchNorm statistics over the training inputs (one forward pass each, no backward).</summary>
    private void RecomputeEmaBatchNorm(TrainingContext context, IEnumerable<(Tensor Input, Tensor Target)> trainData)
    {
        if (context.Ema is { } ema)
        {
            ema.RecomputeBatchNorm(InputsOnDevice(trainData));
        }
    }

    /// <summary>The training inputs on the trainer's device; a moved copy is freed once its forward is done.</summary>
    private IEnumerable<Tensor> InputsOnDevice(IEnumerable<(Tensor Input, Tensor Target)> data)
    {
        foreach ((Tensor input, _) in data)
        {
            if (Options.Device is not { } device || input.device == device)
            {
                yield return input;
                continue;
            }

            using Tensor moved = input.to(device);
            yield return moved;
        }
    }
}
