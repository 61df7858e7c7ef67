using System.Text.Json;

namespace Ema;

/// <summary>A JSON object read with System.Text.Json: case-sensitive keys, duplicates rejected, strict types.</summary>
internal sealed class JsonConfigObject : ConfigObject
{
    private readonly Dictionary<string, JsonElement> _properties = new(StringComparer.Ordinal);
    private readonly List<string> _keys = new();

    public JsonConfigObject(JsonElement element, string path)
        : base(path, ".")
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new EmaConfigException(
                $"{(path.Length == 0 ? "The config" : path)} must be a JSON object, but it is {Describe(element)}.",
                path.Length == 0 ? null : path);
        }

        foreach (JsonProperty property in element.EnumerateObject())
        {
            // JsonDocument keeps duplicates and the last one would silently win: make it an error.
            if (!_properties.TryAdd(property.Name, property.Value))
            {
                throw Error(property.Name, $"{FullKey(property.Name)} appears twice in {Describe()}; each key may appear once.");
            }

            _keys.Add(property.Name);
        }
    }

    public override IReadOnlyList<string> Keys => _keys;

    public override StringComparer KeyComparer => StringComparer.Ordinal;

    public override ConfigObject? GetObject(string key)
    {
        if (!_properties.TryGetValue(key, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            throw Null(key, "an object");
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw WrongType(key, "an object", Describe(value));
        }

        return new JsonConfigObject(value, FullKey(key));
    }

    public override double GetDouble(string key, double defaultValue)
    {
        if (!TryGet(key, "a number", out JsonElement value))
        {
            return defaultValue;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            throw WrongType(key, "a number", Describe(value));
        }

        // TryGetDouble refuses numbers that overflow to infinity (1e400).
        return value.TryGetDouble(out double number) ? Finite(key, number, value.GetRawText()) : throw NotFinite(key, value.GetRawText());
    }

    public override int GetInt32(string key, int defaultValue)
    {
        if (!TryGet(key, "an integer", out JsonElement value))
        {
            return defaultValue;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number))
        {
            return number;
        }

        throw WrongType(key, $"an integer from {int.MinValue} to {int.MaxValue}", Describe(value));
    }

    public override long GetInt64(string key, long defaultValue)
    {
        if (!TryGet(key, "an integer", out JsonElement value))
        {
            return defaultValue;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number))
        {
            return number;
        }

        throw WrongType(key, $"an integer from {long.MinValue} to {long.MaxValue}", Describe(value));
    }

    public override bool GetBoolean(string key, bool defaultValue)
    {
        if (!TryGet(key, "true or false", out JsonElement value))
        {
            return defaultValue;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(key, "true or false", Describe(value)),
        };
    }

    public override string? GetString(string key, string? defaultValue)
    {
        if (!TryGet(key, "a string", out JsonElement value))
        {
            return defaultValue;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(key, "a string", Describe(value));
    }

    private bool TryGet(string key, string expected, out JsonElement value)
    {
        if (!_properties.TryGetValue(key, out value))
        {
            return false;
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            throw Null(key, expected);
        }

        return true;
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"a string ({value.GetRawText()})",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };
}
