using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Ema;

/// <summary>
/// A Microsoft.Extensions.Configuration section. Every value is a string there (appsettings.json, command line,
/// environment), so numbers and booleans are parsed with the invariant culture; keys are case-insensitive.
/// </summary>
internal sealed class ConfigurationConfigObject : ConfigObject
{
    private readonly IConfiguration _configuration;
    private readonly List<string> _keys;

    public ConfigurationConfigObject(IConfiguration configuration)
        : base(configuration is IConfigurationSection section ? section.Path : string.Empty, ":")
    {
        _configuration = configuration;
        _keys = configuration.GetChildren().Select(c => c.Key).ToList();
    }

    public override IReadOnlyList<string> Keys => _keys;

    public override StringComparer KeyComparer => StringComparer.OrdinalIgnoreCase;

    public override ConfigObject? GetObject(string key)
    {
        IConfigurationSection child = _configuration.GetSection(key);
        if (!child.Exists())
        {
            return null;
        }

        if (child.Value != null && !child.GetChildren().Any())
        {
            throw WrongType(key, "an object (a section with keys)", $"the value \"{child.Value}\"");
        }

        return new ConfigurationConfigObject(child);
    }

    public override double GetDouble(string key, double defaultValue)
    {
        string? text = GetValue(key, "a number");
        if (text == null)
        {
            return defaultValue;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            throw WrongType(key, "a number (invariant culture, for example 0.9999)", $"\"{text}\"");
        }

        return Finite(key, value, text);
    }

    public override int GetInt32(string key, int defaultValue)
    {
        string? text = GetValue(key, "an integer");
        if (text == null)
        {
            return defaultValue;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw WrongType(key, $"an integer from {int.MinValue} to {int.MaxValue}", $"\"{text}\"");
    }

    public override long GetInt64(string key, long defaultValue)
    {
        string? text = GetValue(key, "an integer");
        if (text == null)
        {
            return defaultValue;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw WrongType(key, $"an integer from {long.MinValue} to {long.MaxValue}", $"\"{text}\"");
    }

    public override bool GetBoolean(string key, bool defaultValue)
    {
        string? text = GetValue(key, "true or false");
        if (text == null)
        {
            return defaultValue;
        }

        return bool.TryParse(text, out bool value) ? value : throw WrongType(key, "true or false", $"\"{text}\"");
    }

    public override string? GetString(string key, string? defaultValue) => GetValue(key, "a string") ?? defaultValue;

    /// <summary>The value's text, or null when the key is absent.</summary>
    private string? GetValue(string key, string expected)
    {
        IConfigurationSection child = _configuration.GetSection(key);
        if (!child.Exists())
        {
            return null;
        }

        if (child.GetChildren().Any())
        {
            throw WrongType(key, expected, "a section with keys");
        }

        // The JSON configuration provider turns null into an empty string: both mean "no value", which is an error.
        if (string.IsNullOrEmpty(child.Value))
        {
            throw Null(key, expected);
        }

        return child.Value;
    }
}
