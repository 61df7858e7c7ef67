using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ema;

/// <summary>
/// Parses config text in the dialect of Microsoft.Extensions.Configuration.Json (comments and trailing commas
/// allowed), the one dialect of every Ema config path: <c>FromJson</c>/<c>FromFile</c> here,
/// <c>FromConfiguration</c> over <c>AddJsonFile</c>, and the analyzers' JsonScanner at build time. Errors name the
/// position and, where the parser stopped inside a value, the key whose value it was.
/// </summary>
internal static class ConfigJson
{
    /// <summary>Configs are a few levels deep; the limit turns a hostile or broken file into an error, not a deep recursion.</summary>
    internal const int MaxDepth = 64;

    private static readonly JsonDocumentOptions s_options = new()
    {
        // What JsonConfigurationFileParser uses, so a file loads the same through FromFile and AddJsonFile.
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = MaxDepth,
    };

    public static JsonDocument Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);

        // A UTF-8 byte order mark survives as U+FEFF when the text was decoded without BOM detection
        // (Encoding.UTF8.GetString, some editors' clipboards): it is not content, so it must not fail the parse.
        if (json.Length > 0 && json[0] == '\uFEFF')
        {
            json = json[1..];
        }

        if (string.IsNullOrWhiteSpace(json))
        {
            throw new EmaConfigException("The config is empty: it must be a JSON object, for example {} for the defaults.");
        }

        try
        {
            return JsonDocument.Parse(json, s_options);
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1;
            long column = (e.BytePositionInLine ?? 0) + 1;
            string? key = KeyBefore(json, e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
            string where = key is null ? string.Empty : $" (in the value of \"{key}\")";
            string hint = IsNonFiniteLiteral(json, e.LineNumber ?? 0, e.BytePositionInLine ?? 0)
                ? " NaN and Infinity are not JSON numbers: every number must be finite."
                : string.Empty;
            throw new EmaConfigException(
                $"Invalid JSON at line {line}, column {column}{where}: {FirstSentence(e.Message)}{hint}",
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

    /// <summary>The text of the error's line from the error position on (the parser reports UTF-8 bytes, not chars).</summary>
    private static (string Before, string After)? SplitAt(string json, long lineNumber, long bytePosition)
    {
        string[] lines = json.Split('\n');
        if (lineNumber < 0 || lineNumber >= lines.Length)
        {
            return null;
        }

        string lineText = lines[lineNumber];
        int chars = 0;
        long bytes = 0;
        while (chars < lineText.Length && bytes < bytePosition)
        {
            bytes += Encoding.UTF8.GetByteCount(lineText.AsSpan(chars, char.IsHighSurrogate(lineText[chars]) && chars + 1 < lineText.Length ? 2 : 1));
            chars += char.IsHighSurrogate(lineText[chars]) && chars + 1 < lineText.Length ? 2 : 1;
        }

        string before = string.Join('\n', lines.Take((int)lineNumber).Append(lineText[..chars]));
        return (before, lineText[chars..]);
    }

    /// <summary>The key just before the error position (<c>"decay": NaN</c> gives <c>decay</c>), or null.</summary>
    private static string? KeyBefore(string json, long lineNumber, long bytePosition)
    {
        if (SplitAt(json, lineNumber, bytePosition) is not { } split)
        {
            return null;
        }

        Match match = s_keyBeforeValue.Match(split.Before);
        return match.Success ? match.Groups[1].Value : null;
    }

    private static bool IsNonFiniteLiteral(string json, long lineNumber, long bytePosition) =>
        SplitAt(json, lineNumber, bytePosition) is { } split
        && (split.After.StartsWith("NaN", StringComparison.Ordinal)
            || split.After.StartsWith("Infinity", StringComparison.Ordinal)
            || split.After.StartsWith("-Infinity", StringComparison.Ordinal)
            || split.After.StartsWith("+Infinity", StringComparison.Ordinal)
            || (split.Before.EndsWith('-') && split.After.StartsWith("Infinity", StringComparison.Ordinal)));

    // Only used to word an error message, so a plain (interpreted) Regex is enough: it keeps this assembly free of
    // BCL source generators, which the generator tests' compilation of this source does not run.
    private static readonly Regex s_keyBeforeValue = new("""\"((?:[^"\\]|\\.)*)\"\s*:\s*-?$""", RegexOptions.CultureInvariant);
}
