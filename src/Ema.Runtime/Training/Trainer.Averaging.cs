using static TorchSharp.torch;

namespace Ema;

/// <summary>The training keys of the averaging forms: Switch EMA, batch scaling, BatchNorm recomputation.</summary>
public sealed partial class Trainer
{
    /// <summary>The averaging keys act on the EMA: without <c>ema</c> they are an error, not silently ignored.</summary>
    private void CheckAveragingKeys()
    {
        if (Params.Ema)
        {
            return;
        }

        string? key = Params.EmaRecomputeBn != BatchNormRecompute.None ? "ema_recompute_bn"
            : Params.EmaOptions.SwitchEvery != 0 ? "ema_switch_every"
            : Params.EmaOptions.BatchScale != 1.0 ? "ema_batch_scale"
            : null;
        if (key is not null)
        {
            throw new ArgumentException($"training_params {key} acts on the EMA and needs ema = true.");
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
