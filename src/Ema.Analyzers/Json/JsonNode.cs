using Microsoft.CodeAnalysis.Text;

namespace Ema.Analyzers.Json;

/// <summary>A JSON value with the span of its text, so diagnostics point at the exact characters.</summary>
internal abstract class JsonNode
{
    protected JsonNode(TextSpan span)
    {
        Span = span;
    }

    public TextSpan Span { get; }
}

internal sealed class JsonObject : JsonNode
{
    public JsonObject(TextSpan span, ImmutableArray<JsonProperty> properties)
        : base(span)
    {
        Properties = properties;
    }

    public ImmutableArray<JsonProperty> Properties { get; }

    public JsonProperty? Find(string name) => Properties.FirstOrDefault(p => p.Name == name);
}

/// <summary>A key and its value; <see cref="NameSpan"/> includes the key's quotes.</summary>
internal sealed class JsonProperty
{
    public JsonProperty(string name, TextSpan nameSpan, JsonNode value)
    {
        Name = name;
        NameSpan = nameSpan;
        Value = value;
    }

    public string Name { get; }

    public TextSpan NameSpan { get; }

    public JsonNode Value { get; }
}

internal sealed class JsonArray : JsonNode
{
    public JsonArray(TextSpan span, ImmutableArray<JsonNode> items)
        : base(span)
    {
        Items = items;
    }

    public ImmutableArray<JsonNode> Items { get; }
}

/// <summary>A string; its span includes the quotes.</summary>
internal sealed class JsonString : JsonNode
{
    public JsonString(TextSpan span, string value)
        : base(span)
    {
        Value = value;
    }

    public string Value { get; }
}

/// <summary>A number, with its text as written for messages.</summary>
internal sealed class JsonNumber : JsonNode
{
    public JsonNumber(TextSpan span, double value, string text)
        : base(span)
    {
        Value = value;
        Text = text;
    }

    public double Value { get; }

    public string Text { get; }
}

/// <summary>true, false or null.</summary>
internal sealed class JsonLiteral : JsonNode
{
    public JsonLiteral(TextSpan span, string text)
        : base(span)
    {
        Text = text;
    }

    public string Text { get; }
}
