using Ema;

namespace Ema.Samples.CustomSchedule;

// The seed's custom schedule, the C# way: implement IDecayFunction and give it a name. No registration code:
// the Ema generator turns this class into a typed LinearEmaParams record and registers "linear" when the
// assembly loads, so "decay_type": "linear" in a config finds it.
[DecaySchedule("linear")]
public sealed class LinearDecay : IDecayFunction
{
    // Linear scaling rule over [0, decay): step / totalSteps is the training progress.
    public double Compute(double decay, long step, long totalSteps) => decay * step / totalSteps;
}
