namespace Ema;

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
