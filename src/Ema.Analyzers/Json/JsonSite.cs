using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Ema.Analyzers.Json;

/// <summary>
/// Where a parsed JSON text lives: a JSON file given as an AdditionalFile, or a C# string constant. The config
/// checks run on the parsed text alone and ask the site where a JSON span is in the source and how a JSON
/// replacement is written there, so the one checker serves both.
/// </summary>
internal abstract class JsonSite
{
    /// <summary>The source location of a span of the JSON text.</summary>
    public abstract Location Locate(TextSpan json);

    /// <summary>The source text that replaces the JSON span with <paramref name="json"/>, or null where no exact edit exists.</summary>
    public abstract string? Encode(TextSpan json, string replacement);
}

/// <summary>A JSON file: spans are the file's own.</summary>
internal sealed class JsonFileSite : JsonSite
{
    private readonly string _path;
    private readonly SourceText _text;

    public JsonFileSite(string path, SourceText text)
    {
        _path = path;
        _text = text;
    }

    public override Location Locate(TextSpan json) => Location.Create(_path, json, _text.Lines.GetLinePositionSpan(json));

    public override string? Encode(TextSpan json, string replacement) => replacement;
}
