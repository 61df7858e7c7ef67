using System.ComponentModel;

namespace Ema;

/// <summary>
/// A config object (a JSON object or a configuration section) that generated binders read schedule
/// parameters from, by snake_case key. Each getter returns the default when the key is absent and throws
/// <see cref="EmaConfigException"/> naming the key, the value and the expected type when it cannot convert.
/// A parameter whose schedule constructor declares no default is checked with <see cref="Require"/> first,
/// so that the default the getter is given (the record's C# default) never stands in for a missing key.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class EmaParamsSource
{
    /// <summary>
    /// Checks that <paramref name="key"/> is present: the schedule's constructor has no default for it, so the
    /// config must give a value.
    /// </summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="decayType">The schedule's name, for the message.</param>
    /// <exception cref="EmaConfigException">The key is absent; the message names it and the schedule and says it is required.</exception>
    public abstract void Require(string key, string decayType);

    /// <summary>Reads a floating-point value.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="defaultValue">The value when the key is absent.</param>
    /// <returns>The value.</returns>
    public abstract double GetDouble(string key, double defaultValue);

    /// <summary>Reads a 32-bit floating-point value.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="defaultValue">The value when the key is absent.</param>
    /// <returns>The value.</returns>
    public abstract float GetSingle(string key, float defaultValue);

    /// <summary>Reads a 32-bit integer.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="defaultValue">The value when the key is absent.</param>
    /// <returns>The value.</returns>
    public abstract int GetInt32(string key, int defaultValue);

    /// <summary>Reads a 64-bit integer.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="defaultValue">The value when the key is absent.</param>
    /// <returns>The value.</returns>
    public abstract long GetInt64(string key, long defaultValue);

    /// <summary>Reads a Boolean.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="defaultValue">The value when the key is absent.</param>
    /// <returns>The value.</returns>
    public abstract bool GetBoolean(string key, bool defaultValue);

    /// <summary>Reads a string.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="defaultValue">The value when the key is absent.</param>
    /// <returns>The value.</returns>
    public abstract string? GetString(string key, string? defaultValue);

    /// <summary>Reads an enum value by name (case-insensitive).</summary>
    /// <typeparam name="TEnum">The enum type.</typeparam>
    /// <param name="key">The snake_case key.</param>
    /// <param name="defaultValue">The value when the key is absent.</param>
    /// <returns>The value.</returns>
    public abstract TEnum GetEnum<TEnum>(string key, TEnum defaultValue)
        where TEnum : struct, Enum;
}
