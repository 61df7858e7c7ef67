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

/// <summary>
/// An argument outside its range that knows its config key, so that a loader reports it under the key without
/// parsing the message: thrown by <see cref="TrainingParams"/>' setters, which code callers see as the
/// <see cref="ArgumentOutOfRangeException"/> it is.
/// </summary>
internal sealed class KeyedOutOfRangeException(string property, string key, string value, string allowed)
    : ArgumentOutOfRangeException(property, ConfigErrors.OutOfRange(key, value, allowed))
{
    /// <summary>The config key (<c>max_epochs</c>).</summary>
    public string Key { get; } = key;

    /// <summary>The value as written in messages.</summary>
    public string Value { get; } = value;

    /// <summary>What is allowed.</summary>
    public string Allowed { get; } = allowed;
}
