using System.Globalization;

namespace Ema;

/// <summary>Shared wording for config and argument errors.</summary>
internal static class ConfigErrors
{
    /// <summary>"beta = -1 is outside the allowed range: beta must be &gt; 0." (<paramref name="key"/> as the message shows it).</summary>
    public static string OutOfRange(string key, string value, string allowed) => $"{key} = {value} is outside the allowed range: {allowed}.";

    /// <summary>A number as messages write it: invariant culture, round-trippable.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>An integer as messages write it: invariant culture (some cultures write a minus sign as U+2212).</summary>
    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The one way the runtime throws an argument outside its range, so that the message reads the same in every culture:
    /// the message names the value (written with <see cref="Format(double)"/> or invariant interpolation), and no actual
    /// value is passed, because .NET would append it formatted in the current culture ("Actual value was 0,5.", or a
    /// minus sign U+2212 in Swedish).
    /// </summary>
    public static ArgumentOutOfRangeException ArgumentOutOfRange(string paramName, string message) => new(paramName, message);
}
