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

    public override bool TryGetDouble(string key, out double value)
    {
        value = 0;
        if (GetValue(key, "a number") is not { } text)
        {
            return false;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
        {
            throw WrongType(key, "a number (invariant culture, for example 0.9999)", $"\"{text}\"");
        }

        value = Finite(key, number, text);
        return true;
    }

    public override bool TryGetBoolean(string key, out bool value)
    {
        value = false;
        return GetValue(key, "true or false") is { } text
            && (bool.TryParse(text, out value) ? true : throw WrongType(key, "true or false", $"\"{text}\""));
    }

    public override bool TryGetString(string key, out string value)
    {
        value = GetValue(key, "a string") ?? string.Empty;
        return value.Length > 0;
    }

    protected override bool TryGetInteger(string key, long minimum, long maximum, out long value)
    {
        value = 0;
        return GetValue(key, "an integer") is { } text
            && (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= minimum && value <= maximum
                ? true
                : throw WrongType(key, $"an integer from {minimum} to {maximum}", $"\"{text}\""));
    }

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
