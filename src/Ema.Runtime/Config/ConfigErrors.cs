using System.Globalization;

namespace Ema;

/// <summary>Shared wording for config and argument errors.</summary>
internal static class ConfigErrors
{
    /// <summary>"beta = -1 is outside the allowed range: beta must be &gt; 0." (<paramref name="key"/> as the message shows it).</summary>
    public static string OutOfRange(string key, string value, string allowed) => $"{key} = {value} is outside the allowed range: {allowed}.";

    /// <summary>A number as messages write it: invariant culture, round-trippable.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
