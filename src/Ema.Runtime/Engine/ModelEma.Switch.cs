using static TorchSharp.torch;

namespace Ema;

/// <summary>How the schedule's decay is scaled (UpdateEvery, BatchScale), and Switch EMA.</summary>
public sealed partial class ModelEma
{
    /// <summary>
    /// <c>d^(k * s)</c>: one update standing for k steps (k updates towards an unchanged model leave <c>(1 - d^k)</c> of
    /// the gap), and a batch s times the one the decay was tuned for (Busbridge et al. 2023).
    /// </summary>
    private double ScaledDecay(double decay)
    {
        double exponent = Options.UpdateEvery * Options.BatchScale;
        return exponent == 1.0 ? decay : Math.Pow(decay, exponent);
    }

    /// <summary>Switch EMA: on every <see cref="ModelEmaOptions.SwitchEvery"/>-th step the model moves to lerp(model, EMA, SwitchBlend).</summary>
    /// <remarks>
    /// The model's Parameter objects and storage stay the same (an in-place lerp), so the optimizer keeps them; its
    /// state (momentum, Adam's moments) is left as it is, as Keras and ema-pytorch leave it. A bound twin keeps
    /// viewing the EMA, which the switch does not change. Several EMAs of one model each switch it on their own cadence.
    /// </remarks>
    private void SwitchIfDue(long step)
    {
        if (Options.SwitchEvery == 0 || step % Options.SwitchEvery != 0)
        {
            return;
        }

        using (no_grad())
        {
            foreach (TensorGroup group in _groups)
            {
                group.BlendEmaIntoModel(Options.SwitchBlend);
            }
        }
    }
}
