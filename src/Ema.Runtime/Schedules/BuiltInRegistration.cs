// TEMPORARY: hand registration of the built-ins until the generator (issue 3) emits it.
namespace Ema;

public static partial class DecaySchedules
{
    private static void RegisterBuiltIns()
    {
        Register(new DecayScheduleRegistration("constant", typeof(ConstantEmaParams), Array.Empty<string>(),
            _ => new ConstantDecay(), s => new ConstantEmaParams(s.GetDouble("decay", EmaParams.DefaultDecay))));
        Register(new DecayScheduleRegistration("threshold", typeof(ThresholdEmaParams), Array.Empty<string>(),
            _ => new ThresholdDecay(), s => new ThresholdEmaParams(s.GetDouble("decay", EmaParams.DefaultDecay))));
        Register(new DecayScheduleRegistration("exp", typeof(ExpEmaParams), new[] { "beta" },
            p => new ExpDecay(((ExpEmaParams)p).Beta), s => new ExpEmaParams(s.GetDouble("decay", EmaParams.DefaultDecay), s.GetDouble("beta", 15))));
    }
}

/// <summary>Parameters of the <c>constant</c> schedule.</summary>
public sealed partial record ConstantEmaParams : EmaParams
{
    /// <summary>Creates the parameters.</summary>
    /// <param name="decay">The decay.</param>
    public ConstantEmaParams(double decay = 0.9999)
        : base(decay)
    {
    }

    /// <inheritdoc/>
    public override string DecayType => "constant";
}

/// <summary>Parameters of the <c>threshold</c> schedule.</summary>
public sealed partial record ThresholdEmaParams : EmaParams
{
    /// <summary>Creates the parameters.</summary>
    /// <param name="decay">The maximum decay.</param>
    public ThresholdEmaParams(double decay = 0.9999)
        : base(decay)
    {
    }

    /// <inheritdoc/>
    public override string DecayType => "threshold";
}

/// <summary>Parameters of the <c>exp</c> schedule.</summary>
public sealed partial record ExpEmaParams : EmaParams
{
    /// <summary>Creates the parameters.</summary>
    /// <param name="decay">The maximum decay.</param>
    /// <param name="beta">How fast the decay rises.</param>
    public ExpEmaParams(double decay = 0.9999, double beta = 15)
        : base(decay)
    {
        Beta = beta;
    }

    /// <summary>How fast the decay rises.</summary>
    public double Beta { get; init; }

    /// <inheritdoc/>
    public override string DecayType => "exp";
}
