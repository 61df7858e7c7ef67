using System.Globalization;

namespace Ema;

/// <summary>
/// One config object (a JSON object or a configuration section) with the key checks both loaders share.
/// <c>TryGet</c> returns false for an absent key and throws <see cref="EmaConfigException"/> naming the full key
/// for anything else that is not a value of the asked type: null, a value of another type, NaN or infinity.
/// </summary>
internal abstract class ConfigObject : EmaParamsSource
{
    private readonly string _path;
    private readonly string _separator;

    protected ConfigObject(string path, string separator)
    {
        _path = path;
        _separator = separator;
    }

    /// <summary>The keys present, in document order.</summary>
    public abstract IReadOnlyList<string> Keys { get; }

    /// <summary>How keys compare: JSON is case-sensitive like SuperGradients, configuration is case-insensitive.</summary>
    public abstract StringComparer KeyComparer { get; }

    /// <summary>The nested object at <paramref name="key"/>, or null when the key is absent.</summary>
    public abstract ConfigObject? GetObject(string key);

    /// <summary>The key as shown in errors: <c>ema_params.decay</c> (JSON) or <c>Training:ema_params:decay</c> (configuration).</summary>
    public string FullKey(string key) => _path.Length == 0 ? key : _path + _separator + key;

    /// <summary>The object's own path, for messages about the object as a whole.</summary>
    public string Describe() => _path.Length == 0 ? "the config object" : _path;

    /// <summary>The value at <paramref name="key"/>, or <paramref name="defaultValue"/> when the key is absent.</summary>
    public double GetDouble(string key, double defaultValue) => TryGetDouble(key, out double value) ? value : defaultValue;

    /// <summary>The value at <paramref name="key"/>, or <paramref name="defaultValue"/> when the key is absent.</summary>
    public int GetInt32(string key, int defaultValue) => TryGetInt32(key, out int value) ? value : defaultValue;

    /// <summary>The value at <paramref name="key"/>, or <paramref name="defaultValue"/> when the key is absent.</summary>
    public bool GetBoolean(string key, bool defaultValue) => TryGetBoolean(key, out bool value) ? value : defaultValue;

    /// <summary>The value at <paramref name="key"/>, or <paramref name="defaultValue"/> when the key is absent.</summary>
    public string GetString(string key, string defaultValue) => TryGetString(key, out string value) ? value : defaultValue;

    /// <summary>The value at <paramref name="key"/>, or <paramref name="defaultValue"/> when the key is absent.</summary>
    public TEnum GetEnum<TEnum>(string key, TEnum defaultValue)
        where TEnum : struct, Enum => TryGetEnum(key, out TEnum value) ? value : defaultValue;

    /// <inheritdoc/>
    public sealed override EmaConfigException Missing(string key, string decayType) =>
        Error(key, $"{FullKey(key)} is required for decay_type \"{decayType}\": the schedule's constructor declares no default for it, so the config must give a value.");

    /// <inheritdoc/>
    public sealed override EmaConfigException OutOfRange(string key, string value, string allowed) =>
        Error(key, ConfigErrors.OutOfRange(FullKey(key), value, allowed));

    /// <inheritdoc/>
    public sealed override bool TryGetInt32(string key, out int value)
    {
        bool found = TryGetInteger(key, int.MinValue, int.MaxValue, out long wide);
        value = (int)wide;
        return found;
    }

    /// <inheritdoc/>
    public sealed override bool TryGetInt64(string key, out long value) => TryGetInteger(key, long.MinValue, long.MaxValue, out value);

    /// <summary>Reads an integer in [<paramref name="minimum"/>, <paramref name="maximum"/>]; anything else is a wrong-type error naming that range.</summary>
    protected abstract bool TryGetInteger(string key, long minimum, long maximum, out long value);

    /// <inheritdoc/>
    public sealed override bool TryGetSingle(string key, out float value)
    {
        value = 0;
        if (!TryGetDouble(key, out double number))
        {
            return false;
        }

        value = (float)number;
        if (float.IsInfinity(value))
        {
            throw Error(key, $"{FullKey(key)} = {ConfigErrors.Format(number)} does not fit a 32-bit float.");
        }

        return true;
    }

    /// <inheritdoc/>
    public sealed override bool TryGetEnum<TEnum>(string key, out TEnum value)
    {
        value = default;
        if (!TryGetString(key, out string text))
        {
            return false;
        }

        // A whole name or nothing: Enum.TryParse also takes "3", "-1" and flags lists ("safetensors, pth" is Pth),
        // which would turn a typo or a list into one of the values without a word. Case-insensitive, as written
        // by ToJson (lower case) and by hand (the C# name).
        if (Enum.GetNames<TEnum>().FirstOrDefault(name => string.Equals(name, text, StringComparison.OrdinalIgnoreCase)) is { } match)
        {
            value = Enum.Parse<TEnum>(match);
            return true;
        }

        throw Error(key, $"{FullKey(key)} = \"{text}\" is not one of: {string.Join(", ", Enum.GetNames<TEnum>())} (one name, case-insensitive).");
    }

    /// <summary>An error about one key.</summary>
    public EmaConfigException Error(string key, string message, Exception? innerException = null) => new(message, FullKey(key), innerException);

    /// <summary>An error for a value of the wrong type.</summary>
    protected EmaConfigException WrongType(string key, string expected, string actual) =>
        Error(key, $"{FullKey(key)} must be {expected}, but it is {actual}.");

    /// <summary>An error for a null value: an absent key takes the default where there is one, null is not a value.</summary>
    protected EmaConfigException Null(string key, string expected) =>
        Error(key, $"{FullKey(key)} is null; it must be {expected}. An absent key takes the default, where the key has one.");

    /// <summary>Checks a parsed double is finite.</summary>
    protected double Finite(string key, double value, string written) =>
        double.IsFinite(value) ? value : throw NotFinite(key, written);

    /// <summary>An error for a number that is NaN, infinite, or too large for a double.</summary>
    protected EmaConfigException NotFinite(string key, string written) =>
        Error(key, $"{FullKey(key)} = {written} is not a finite number; allowed are finite numbers (magnitude up to {double.MaxValue.ToString("R", CultureInfo.InvariantCulture)}), not NaN or infinity.");
}
