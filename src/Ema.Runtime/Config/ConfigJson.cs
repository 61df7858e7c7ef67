using System.Text.Json;

namespace Ema;

/// <summary>
/// Parses config text. Strict JSON on purpose: no comments, no trailing commas (SuperGradients' configs are plain
/// YAML/JSON, and a lenient parser would let a stray comma or comment hide a mistake). Errors name the position.
/// </summary>
internal static class ConfigJson
{
    private static readonly JsonDocumentOptions s_options = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    public static JsonDocument Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonDocument.Parse(json, s_options);
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1;
            long column = (e.BytePositionInLine ?? 0) + 1;
            throw new EmaConfigException(
                $"Invalid JSON at line {line}, column {column}: {FirstSentence(e.Message)} Comments and trailing commas are not allowed.",
                innerException: e);
        }
    }

    /// <summary>System.Text.Json appends "Path: $ | LineNumber: ..." to its messages; the position is reported separately.</summary>
    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }

        return cut < 0 ? message : message[..cut];
    }
}
