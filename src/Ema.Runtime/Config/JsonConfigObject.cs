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

    public override bool TryGetDouble(string key, out double value)
    {
        value = 0;
        if (!TryGet(key, "a number", out JsonElement element))
        {
            return false;
        }

        if (element.ValueKind != JsonValueKind.Number)
        {
            throw WrongType(key, "a number", Describe(element));
        }

        // TryGetDouble refuses numbers that overflow to infinity (1e400).
        value = element.TryGetDouble(out double number) ? Finite(key, number, element.GetRawText()) : throw NotFinite(key, element.GetRawText());
        return true;
    }

    public override bool TryGetBoolean(string key, out bool value)
    {
        value = false;
        if (!TryGet(key, "true or false", out JsonElement element))
        {
            return false;
        }

        value = element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(key, "true or false", Describe(element)),
        };
        return true;
    }

    public override bool TryGetString(string key, out string value)
    {
        value = string.Empty;
        if (!TryGet(key, "a string", out JsonElement element))
        {
            return false;
        }

        value = element.ValueKind == JsonValueKind.String ? element.GetString()! : throw WrongType(key, "a string", Describe(element));
        return true;
    }

    protected override bool TryGetInteger(string key, long minimum, long maximum, out long value)
    {
        value = 0;
        if (!TryGet(key, "an integer", out JsonElement element))
        {
            return false;
        }

        return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value) && value >= minimum && value <= maximum
            ? true
            : throw WrongType(key, $"an integer from {minimum} to {maximum}", Describe(element));
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
