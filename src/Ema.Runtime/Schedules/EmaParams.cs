using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Ema.Shared;

namespace Ema;

/// <summary>
/// The parameters of an EMA: the maximum <see cref="Decay"/> and the schedule that scales it over training.
/// Each schedule has its own sealed record (for example <see cref="ExpEmaParams"/>), generated from the schedule class.
/// </summary>
public abstract record EmaParams
{
    /// <summary>SuperGradients' default decay, 0.9999.</summary>
    public const double DefaultDecay = 0.9999;

    /// <summary>The decay's exclusive lower bound.</summary>
    private const double MinimumDecay = 0.0;

    /// <summary>The decay's exclusive upper bound.</summary>
    private const double MaximumDecay = 1.0;

    /// <summary>What a decay must be, as config and argument errors say it.</summary>
    internal const string DecayRule = "decay must lie in the open interval (0, 1), for example 0.9999";

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
    /// <remarks>
    /// The <see cref="RangeAttribute"/> is the rule's one declaration: the analyzers read it (EMA0001) with the same
    /// reader as every schedule parameter's [Range], and <see cref="IsValidDecay"/> checks the same bounds at run time.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in (0, 1).</exception>
    [Range(MinimumDecay, MaximumDecay, MinimumIsExclusive = true, MaximumIsExclusive = true)]
    public double Decay
    {
        get => _decay;
        init => _decay = ValidateDecay(value);
    }

    /// <summary>The registered name of the schedule, as written in <c>decay_type</c>.</summary>
    public abstract string DecayType { get; }

    /// <summary>
    /// Writes the parameters as SuperGradients' <c>ema_params</c> object, for checkpoints and configs:
    /// <c>{"decay_type":"exp","decay":0.9999,"beta":15}</c>. <see cref="DecaySchedules.FromJson(string, Microsoft.Extensions.Logging.ILogger?)"/>
    /// reads it back into an equal record.
    /// </summary>
    /// <returns>The JSON object.</returns>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteJson(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Writes the <c>ema_params</c> object to <paramref name="writer"/> (used inside larger documents such as training params).</summary>
    /// <param name="writer">The writer, positioned where a value may start.</param>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString(EmaConfigKeys.DecayType, DecayType);
        writer.WriteNumber(EmaConfigKeys.Decay, Decay);
        WriteScheduleParameters(writer);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes the schedule's own parameters as snake_case properties of the <c>ema_params</c> object
    /// (<c>decay_type</c> and <c>decay</c> are already written). Generated records implement it without reflection.
    /// </summary>
    /// <param name="writer">The writer, inside the object.</param>
    protected abstract void WriteScheduleParameters(Utf8JsonWriter writer);

    /// <summary>
    /// Creates the schedule these parameters describe, with their values. Each generated record implements it, so
    /// a record builds its own schedule: no lookup, no cast.
    /// </summary>
    /// <returns>A new schedule.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected abstract IDecayFunction CreateSchedule();

    /// <summary>A new schedule from these parameters, for the engine (<see cref="CreateSchedule"/> is protected so that
    /// every generated override, in any assembly, is written the same way).</summary>
    internal IDecayFunction NewSchedule() => CreateSchedule();

    /// <summary>Checks that a decay lies in the open interval (0, 1).</summary>
    /// <param name="value">The decay to check.</param>
    /// <returns><paramref name="value"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in (0, 1).</exception>
    public static double ValidateDecay(double value) =>
        IsValidDecay(value)
            ? value
            : throw ConfigErrors.ArgumentOutOfRange(
                EmaConfigKeys.Decay,
                ConfigErrors.OutOfRange(EmaConfigKeys.Decay, ConfigErrors.Format(value), DecayRule));

    /// <summary>Whether a decay lies in the bounds of <see cref="Decay"/>'s [Range] (NaN does not).</summary>
    internal static bool IsValidDecay(double value) => value > MinimumDecay && value < MaximumDecay;
}
