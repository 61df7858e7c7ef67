namespace Ema.Runtime.Tests.Property;

/// <summary>
/// The plain model of one EMA the property test checks the real one against: float64 arrays per tensor, updated by
/// design.md's formula <c>ema = ema * decay + model * (1 - decay)</c> with the decay from the schedule's
/// <see cref="IDecayFunction"/>, plus the counters and the step rule. It never reads the real EMA.
/// </summary>
internal sealed class ReferenceEma
{
    private const int RoundingsPerUpdate = 4;

    public ReferenceEma(EmaParams parameters, ModelEmaOptions options, long totalSteps, ReferenceModel model)
    {
        Parameters = parameters;
        Options = options;
        TotalSteps = totalSteps;
        Schedule = DecaySchedules.Create(parameters);
        foreach ((string name, float[] values) in model.Floating)
        {
            Floating[name] = values.Select(v => (double)v).ToArray();
            Bound[name] = 0;
        }

        foreach ((string name, long[] values) in model.Integer)
        {
            Integer[name] = (long[])values.Clone();
        }
    }

    public EmaParams Parameters { get; }

    public ModelEmaOptions Options { get; }

    public IDecayFunction Schedule { get; }

    public long TotalSteps { get; }

    /// <summary>The expected EMA of each floating tensor.</summary>
    public Dictionary<string, double[]> Floating { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>The expected copy of each integer buffer (copied at each update that does work).</summary>
    public Dictionary<string, long[]> Integer { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>Per tensor, the float rounding the real EMA may have accumulated (it decays with the EMA, new rounding adds to it).</summary>
    public Dictionary<string, double> Bound { get; private set; } = new(StringComparer.Ordinal);

    /// <summary><see cref="ModelEma.Step"/>: the last step that did work.</summary>
    public long Step { get; set; }

    /// <summary>The last step handed to Update that the EMA accepted (whether it did work or not): the next must be greater.</summary>
    public long LastSeenStep { get; set; }

    public long SkippedUpdates { get; set; }

    /// <summary>The unit roundoff of the real EMA's dtype.</summary>
    public double Epsilon => Options.FloatingDtype == TorchSharp.torch.ScalarType.Float64 ? Math.Pow(2, -53) : Math.Pow(2, -24);

    /// <summary>The decay an update at <paramref name="step"/> uses (with UpdateEvery's power).</summary>
    public double DecayAt(long step)
    {
        double decay = Schedule.Compute(Parameters.Decay, step, TotalSteps);
        return Options.UpdateEvery > 1 ? Math.Pow(decay, Options.UpdateEvery) : decay;
    }

    /// <summary>One update towards <paramref name="model"/>.</summary>
    public void Lerp(ReferenceModel model, double decay, long step)
    {
        foreach ((string name, double[] ema) in Floating)
        {
            float[] raw = model.Floating[name];
            double largest = 0;
            for (int i = 0; i < ema.Length; i++)
            {
                ema[i] = (ema[i] * decay) + (raw[i] * (1 - decay));
                largest = Math.Max(largest, FiniteMagnitude(ema[i]) + FiniteMagnitude(raw[i]));
            }

            // Float rounding of the real lerp_ (the weight 1 - decay rounded to the dtype, the difference, the product, the sum).
            Bound[name] = (Bound[name] * decay) + (RoundingsPerUpdate * Epsilon * largest);
        }

        foreach ((string name, long[] raw) in model.Integer)
        {
            Integer[name] = (long[])raw.Clone();
        }

        Step = step;
    }

    /// <summary>A deep copy (what a checkpoint of this EMA holds).</summary>
    public ReferenceEma CloneState(ReferenceEma into)
    {
        into.Floating = Floating.ToDictionary(p => p.Key, p => (double[])p.Value.Clone(), StringComparer.Ordinal);
        into.Integer = Integer.ToDictionary(p => p.Key, p => (long[])p.Value.Clone(), StringComparer.Ordinal);
        into.Bound = new Dictionary<string, double>(Bound, StringComparer.Ordinal);
        into.Step = Step;
        into.LastSeenStep = LastSeenStep;
        return into;
    }

    private static double FiniteMagnitude(double value) => double.IsFinite(value) ? Math.Abs(value) : 0;
}

/// <summary>The plain model of the model's raw weights: exactly the float32 values the test wrote, and the integer buffers.</summary>
internal sealed class ReferenceModel
{
    public Dictionary<string, float[]> Floating { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long[]> Integer { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether a floating weight is NaN or infinite. Left-out tensors count: the EMA hands them out as its own, so its
    /// policy keeps their non-finite values out of updates, new EMAs and checkpoints too.
    /// </summary>
    public bool HasNonFinite => Floating.Values.Any(values => values.Any(v => !float.IsFinite(v)));

    public ReferenceModel Clone()
    {
        var copy = new ReferenceModel();
        foreach ((string name, float[] values) in Floating)
        {
            copy.Floating[name] = (float[])values.Clone();
        }

        foreach ((string name, long[] values) in Integer)
        {
            copy.Integer[name] = (long[])values.Clone();
        }

        return copy;
    }
}
