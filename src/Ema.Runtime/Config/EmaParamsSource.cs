using System.ComponentModel;

namespace Ema.__Internals;

/// <summary>
/// A config object (a JSON object or a configuration section) that generated binders read schedule parameters
/// from, by snake_case key. Each <c>TryGet</c> returns false when the key is absent and throws
/// <see cref="EmaConfigException"/> naming the key, the value and the expected type when it cannot convert. The
/// generated binder knows each key's default, range and whether it is required, and reports a break of them
/// with <see cref="Missing"/> and <see cref="OutOfRange"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class EmaParamsSource
{
    /// <summary>Reads a floating-point value.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="value">The value, when the key is present.</param>
    /// <returns>Whether the key is present.</returns>
    public abstract bool TryGetDouble(string key, out double value);

    /// <summary>Reads a 32-bit floating-point value.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="value">The value, when the key is present.</param>
    /// <returns>Whether the key is present.</returns>
    public abstract bool TryGetSingle(string key, out float value);

    /// <summary>Reads a 32-bit integer.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="value">The value, when the key is present.</param>
    /// <returns>Whether the key is present.</returns>
    public abstract bool TryGetInt32(string key, out int value);

    /// <summary>Reads a 64-bit integer.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="value">The value, when the key is present.</param>
    /// <returns>Whether the key is present.</returns>
    public abstract bool TryGetInt64(string key, out long value);

    /// <summary>Reads a Boolean.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="value">The value, when the key is present.</param>
    /// <returns>Whether the key is present.</returns>
    public abstract bool TryGetBoolean(string key, out bool value);

    /// <summary>Reads a string.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="value">The value, when the key is present; never null.</param>
    /// <returns>Whether the key is present.</returns>
    public abstract bool TryGetString(string key, out string value);

    /// <summary>Reads an enum value by name (case-insensitive).</summary>
    /// <typeparam name="TEnum">The enum type.</typeparam>
    /// <param name="key">The snake_case key.</param>
    /// <param name="value">The value, when the key is present.</param>
    /// <returns>Whether the key is present.</returns>
    public abstract bool TryGetEnum<TEnum>(string key, out TEnum value)
        where TEnum : struct, Enum;

    /// <summary>The error for an absent key whose schedule constructor parameter has no default.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="decayType">The schedule's name.</param>
    /// <returns>The exception to throw; its message names the key and the schedule and says the key is required.</returns>
    public abstract EmaConfigException Missing(string key, string decayType);

    /// <summary>The error for a value outside its declared range.</summary>
    /// <param name="key">The snake_case key.</param>
    /// <param name="value">The value as written in messages (invariant culture, round-trippable).</param>
    /// <param name="allowed">What is allowed and where the rule is declared (<c>beta must be &gt; 0 (declared by ...)</c>).</param>
    /// <returns>The exception to throw; its message names the key, the value and what is allowed.</returns>
    public abstract EmaConfigException OutOfRange(string key, string value, string allowed);
}
