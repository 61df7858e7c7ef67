using Ema.Analyzers.Json;

namespace Ema.Analyzers.Tests;

/// <summary>The span-keeping JSON reader behind the config diagnostics.</summary>
public sealed class JsonScannerTests
{
    [Fact]
    public void Spans_cover_exactly_the_value_and_the_quoted_key()
    {
        const string text = "{ \"ema_params\" : { \"decay\":-1.5e-3 , \"decay_type\": \"exp\" } }";
        var root = Assert.IsType<JsonObject>(JsonScanner.Parse(text));
        var emaParams = Assert.IsType<JsonObject>(root.Find("ema_params")!.Value);
        var decay = Assert.IsType<JsonNumber>(emaParams.Find("decay")!.Value);
        Assert.Equal("-1.5e-3", text.Substring(decay.Span.Start, decay.Span.Length));
        Assert.Equal(-1.5e-3, decay.Value);
        JsonProperty decayType = emaParams.Find("decay_type")!;
        Assert.Equal("\"decay_type\"", text.Substring(decayType.NameSpan.Start, decayType.NameSpan.Length));
        Assert.Equal("\"exp\"", text.Substring(decayType.Value.Span.Start, decayType.Value.Span.Length));
    }

    [Fact]
    public void Escapes_are_decoded()
    {
        var root = Assert.IsType<JsonObject>(JsonScanner.Parse("{\"a\\u0062\": \"x\\\"y\\\\z\\n\"}"));
        JsonProperty property = Assert.Single(root.Properties);
        Assert.Equal("ab", property.Name);
        Assert.Equal("x\"y\\z\n", Assert.IsType<JsonString>(property.Value).Value);
    }

    [Fact]
    public void Comments_trailing_commas_arrays_and_literals_are_read()
    {
        var root = Assert.IsType<JsonObject>(JsonScanner.Parse("\uFEFF// c\n{ /* c */ \"a\": [true, false, null, 1,], }"));
        var items = Assert.IsType<JsonArray>(root.Find("a")!.Value).Items;
        Assert.Equal(new[] { "true", "false", "null" }, items.Take(3).Select(i => Assert.IsType<JsonLiteral>(i).Text));
        Assert.Equal(1, Assert.IsType<JsonNumber>(items[3]).Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{\"a\": 1} trailing")]
    [InlineData("{\"a\": tru}")]
    [InlineData("{\"a\": 1.2.3}")]
    [InlineData("{\"a\": \"unterminated}")]
    [InlineData("{a: 1}")]
    public void Text_that_is_not_JSON_gives_null(string text)
    {
        Assert.Null(JsonScanner.Parse(text));
    }

    [Fact]
    public void Deep_nesting_gives_null_instead_of_overflowing()
    {
        Assert.Null(JsonScanner.Parse(new string('[', 10_000) + new string(']', 10_000)));
    }
}
