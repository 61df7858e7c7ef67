using System.Globalization;
using System.Text.Json;

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

    /// <summary>
    /// Writes the parameters as SuperGradients' <c>ema_params</c> object, for checkpoints and configs:
    /// <c>{"decay_type":"exp","decay":0.9999,"beta":15}</c>. <see cref="DecaySchedules.FromJson(string, Action{string}?)"/>
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
        writer.WriteString("decay_type", DecayType);
        writer.WriteNumber("decay", Decay);
        WriteScheduleParameters(writer);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes the schedule's own parameters as snake_case properties of the <c>ema_params</c> object
    /// (<c>decay_type</c> and <c>decay</c> are already written). Generated records implement it without reflection.
    /// </summary>
    /// <param name="writer">The writer, inside the object.</param>
    protected abstract void WriteScheduleParameters(Utf8JsonWriter writer);

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
