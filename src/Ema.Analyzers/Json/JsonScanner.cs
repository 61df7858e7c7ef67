// Just over 300 lines: the whole span-keeping JSON dialect reader (see its summary) in one place.
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace Ema.Analyzers.Json;

/// <summary>
/// A small JSON reader that keeps character spans. The analyzer assembly loads into the compiler, where a
/// System.Text.Json dependency could clash with the host's copy; config files are small, so this suffices.
/// Reads the dialect of Microsoft.Extensions.Configuration.Json, which the runtime's loaders use too (ConfigJson):
/// RFC 8259 JSON plus // and /* */ comments and trailing commas. Returns null for text that is not JSON in
/// that dialect: such a file is not the analyzer's to judge, and every run-time loader refuses it too.
/// </summary>
internal sealed class JsonScanner
{
    private const int MaxDepth = 64;

    private readonly string _text;
    private int _position;

    private JsonScanner(string text)
    {
        _text = text;
    }

    public static JsonNode? Parse(string text)
    {
        var scanner = new JsonScanner(text);
        try
        {
            JsonNode node = scanner.ReadValue(0);
            scanner.SkipTrivia();
            return scanner._position == text.Length ? node : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private JsonNode ReadValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw new FormatException("Nested too deeply.");
        }

        SkipTrivia();
        char c = Peek();
        switch (c)
        {
            case '{':
                return ReadObject(depth);
            case '[':
                return ReadArray(depth);
            case '"':
                int start = _position;
                string value = ReadString();
                return new JsonString(TextSpan.FromBounds(start, _position), value);
            case 't':
                return ReadLiteral("true");
            case 'f':
                return ReadLiteral("false");
            case 'n':
                return ReadLiteral("null");
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    return ReadNumber();
                }

                throw new FormatException("Unexpected character.");
        }
    }

    private JsonObject ReadObject(int depth)
    {
        int start = _position;
        _position++;
        var properties = ImmutableArray.CreateBuilder<JsonProperty>();
        while (true)
        {
            SkipTrivia();
            if (Peek() == '}')
            {
                _position++;
                return new JsonObject(TextSpan.FromBounds(start, _position), properties.ToImmutable());
            }

            if (Peek() != '"')
            {
                throw new FormatException("Expected a key.");
            }

            int nameStart = _position;
            string name = ReadString();
            var nameSpan = TextSpan.FromBounds(nameStart, _position);

            // System.Text.Json allows no comment between a key and its colon, so neither does this dialect.
            SkipTrivia(comments: false);
            Expect(':');
            JsonNode value = ReadValue(depth + 1);
            properties.Add(new JsonProperty(name, nameSpan, value));
            SkipTrivia();
            if (Peek() == ',')
            {
                _position++;
            }
            else if (Peek() != '}')
            {
                throw new FormatException("Expected ',' or '}'.");
            }
        }
    }

    private JsonArray ReadArray(int depth)
    {
        int start = _position;
        _position++;
        var items = ImmutableArray.CreateBuilder<JsonNode>();
        while (true)
        {
            SkipTrivia();
            if (Peek() == ']')
            {
                _position++;
                return new JsonArray(TextSpan.FromBounds(start, _position), items.ToImmutable());
            }

            items.Add(ReadValue(depth + 1));
            SkipTrivia();
            if (Peek() == ',')
            {
                _position++;
            }
            else if (Peek() != ']')
            {
                throw new FormatException("Expected ',' or ']'.");
            }
        }
    }

    private string ReadString()
    {
        _position++;
        var builder = new StringBuilder();
        while (true)
        {
            char c = Next();
            if (c == '"')
            {
                return builder.ToString();
            }

            if (c < ' ')
            {
                throw new FormatException("Control character in a string.");
            }

            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }

            char escaped = Next();
            switch (escaped)
            {
                case '"': builder.Append('"'); break;
                case '\\': builder.Append('\\'); break;
                case '/': builder.Append('/'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 't': builder.Append('\t'); break;
                case 'u':
                    if (_position + 4 > _text.Length ||
                        !int.TryParse(_text.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                    {
                        throw new FormatException("Bad \\u escape.");
                    }

                    builder.Append((char)code);
                    _position += 4;
                    break;
                default:
                    throw new FormatException("Bad escape.");
            }
        }
    }

    /// <summary>RFC 8259's number grammar, no more: <c>01</c>, <c>1.</c> or <c>+1</c> fail at run time, so they are no number here.</summary>
    private JsonNumber ReadNumber()
    {
        int start = _position;
        Skip('-');
        if (!Skip('0'))
        {
            ReadDigits();
        }

        if (Skip('.'))
        {
            ReadDigits();
        }

        if (Skip('e') || Skip('E'))
        {
            _ = Skip('+') || Skip('-');
            ReadDigits();
        }

        string text = _text.Substring(start, _position - start);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            throw new FormatException("Bad number.");
        }

        return new JsonNumber(TextSpan.FromBounds(start, _position), value, text);
    }

    private void ReadDigits()
    {
        int start = _position;
        while (_position < _text.Length && _text[_position] >= '0' && _text[_position] <= '9')
        {
            _position++;
        }

        if (_position == start)
        {
            throw new FormatException("Expected a digit.");
        }
    }

    private bool Skip(char c)
    {
        if (_position < _text.Length && _text[_position] == c)
        {
            _position++;
            return true;
        }

        return false;
    }

    private JsonLiteral ReadLiteral(string literal)
    {
        if (string.CompareOrdinal(_text, _position, literal, 0, literal.Length) != 0)
        {
            throw new FormatException("Unexpected literal.");
        }

        int start = _position;
        _position += literal.Length;
        return new JsonLiteral(TextSpan.FromBounds(start, _position), literal);
    }

    private void SkipTrivia(bool comments = true)
    {
        while (_position < _text.Length)
        {
            char c = _text[_position];
            // JSON's four whitespace characters, and a byte order mark at the start (the loaders skip it there).
            if (c is ' ' or '\t' or '\r' or '\n' || (c == '\uFEFF' && _position == 0))
            {
                _position++;
            }
            else if (!comments)
            {
                return;
            }
            else if (c == '/' && _position + 1 < _text.Length && _text[_position + 1] == '/')
            {
                int end = _text.IndexOf('\n', _position);
                _position = end < 0 ? _text.Length : end + 1;
            }
            else if (c == '/' && _position + 1 < _text.Length && _text[_position + 1] == '*')
            {
                int end = _text.IndexOf("*/", _position + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw new FormatException("Unterminated comment.");
                }

                _position = end + 2;
            }
            else
            {
                return;
            }
        }
    }

    private void Expect(char c)
    {
        if (Peek() != c)
        {
            throw new FormatException("Expected '" + c + "'.");
        }

        _position++;
    }

    private char Peek() => _position < _text.Length ? _text[_position] : throw new FormatException("Unexpected end.");

    private char Next() => _position < _text.Length ? _text[_position++] : throw new FormatException("Unexpected end.");
}
