using System.Globalization;

namespace Ema;

/// <summary>
/// The parameters of an EMA: the maximum <see cref="Decay"/> and the schedule that scales it over training.
/// Each schedule has its own sealed record (for example <see cref="ExpEmaParams"/>), generated from the schedule class.
/// </summary>
public abstract record EmaParams
{
    /// <summary>SuperGradients' default decay, 0.9999.</summary>
    public const double DefaultDecay = 0.9999;

    private readonly double _decay = DefaultDecay;

    /// <summary>Creates parameters with the default decay.</summary>
    protected EmaParams()
    {
    }

    /// <summary>Creates parameters with the given decay.</summary>
    /// <param name="decay">The maximum decay, in the open interval (0, 1).</param>
    protected EmaParams(double decay)
    {
        Decay = decay;
    }

    /// <summary>The maximum decay, in the open interval (0, 1); larger values make the EMA follow the model more slowly.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in (0, 1).</exception>
    public double Decay
    {
        get => _decay;
        init => _decay = ValidateDecay(value);
    }

    /// <summary>The registered name of the schedule, as written in <c>decay_type</c>.</summary>
    public abstract string DecayType { get; }

    /// <summary>Checks that a decay lies in the open interval (0, 1).</summary>
    /// <param name="value">The decay to check.</param>
    /// <returns><paramref name="value"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in (0, 1).</exception>
    public static double ValidateDecay(double value)
    {
        if (!(value > 0.0 && value < 1.0))
        {
            throw new ArgumentOutOfRangeException(
                "decay",
                value,
                string.Create(CultureInfo.InvariantCulture, $"decay = {value:R} is outside the allowed range: decay must lie in the open interval (0, 1), for example 0.9999."));
        }

        return value;
    }
}
