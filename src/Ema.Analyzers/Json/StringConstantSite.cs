// Over 300 lines: mapping each JSON character back to its source position across every C# string form (regular
// escapes, verbatim, raw with indentation, constant interpolations) and escaping fixes back: one table, one file.
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Ema.Analyzers.Json;

/// <summary>
/// JSON held by a C# string constant: each character of the string's value is mapped back to the source characters
/// that wrote it (an escape such as <c>\"</c> or <c>\u0031</c>, a verbatim <c>""</c>, a raw string's text after its
/// indentation), so a diagnostic points inside the literal and a fix edits it there, escaped for that literal.
/// Characters the source does not write one by one (an interpolation's value, a constant from elsewhere, a form
/// this map does not know) map to their whole expression, and a span touching them gets no fix.
/// </summary>
internal sealed class StringConstantSite : JsonSite
{
    private readonly SyntaxTree _tree;
    private readonly TextSpan _whole;
    private readonly TextSpan[] _sources;
    private readonly bool[] _exact;
    private readonly Func<string, string>? _escape;

    private StringConstantSite(SyntaxTree tree, TextSpan whole, TextSpan[] sources, bool[] exact, Func<string, string>? escape)
    {
        _tree = tree;
        _whole = whole;
        _sources = sources;
        _exact = exact;
        _escape = escape;
    }

    /// <summary>The site of <paramref name="value"/>, the constant <paramref name="expression"/> evaluates to.</summary>
    public static StringConstantSite For(ExpressionSyntax expression, string value)
    {
        while (expression is ParenthesizedExpressionSyntax parenthesized)
        {
            expression = parenthesized.Expression;
        }

        var builder = new Builder(value);
        Func<string, string>? escape = null;
        if (expression is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.StringLiteralExpression))
        {
            escape = MapToken(builder, literal.Token, interpolated: false);
        }
        else if (expression is InterpolatedStringExpressionSyntax interpolated)
        {
            escape = MapInterpolated(builder, interpolated);
        }

        if (escape is null || builder.Value != value)
        {
            // Unknown form, or a mapping that does not reproduce the value: the whole expression, no fixes.
            return Coarse(expression, value);
        }

        return new StringConstantSite(expression.SyntaxTree, expression.Span, builder.Sources.ToArray(), builder.Exact.ToArray(), escape);
    }

    public override Location Locate(TextSpan json)
    {
        if (json.IsEmpty || json.End > _sources.Length)
        {
            return Location.Create(_tree, _whole);
        }

        return Location.Create(_tree, TextSpan.FromBounds(_sources[json.Start].Start, _sources[json.End - 1].End));
    }

    public override string? Encode(TextSpan json, string replacement)
    {
        if (_escape is null || json.IsEmpty || json.End > _exact.Length)
        {
            return null;
        }

        for (int i = json.Start; i < json.End; i++)
        {
            if (!_exact[i])
            {
                return null;
            }
        }

        return _escape(replacement);
    }

    private static StringConstantSite Coarse(ExpressionSyntax expression, string value)
    {
        var sources = new TextSpan[value.Length];
        for (int i = 0; i < sources.Length; i++)
        {
            sources[i] = expression.Span;
        }

        return new StringConstantSite(expression.SyntaxTree, expression.Span, sources, new bool[value.Length], escape: null);
    }

    /// <summary>Maps a string literal token; returns how a replacement is escaped in it, or null for a form it does not know.</summary>
    private static Func<string, string>? MapToken(Builder builder, SyntaxToken token, bool interpolated)
    {
        string text = token.Text;
        int start = token.SpanStart;
        switch (token.Kind())
        {
            case SyntaxKind.StringLiteralToken when text.StartsWith("@", StringComparison.Ordinal):
                return MapVerbatim(builder, text.Substring(2, text.Length - 3), start + 2, interpolated) ? EscapeVerbatim : null;
            case SyntaxKind.StringLiteralToken:
                return MapRegular(builder, text.Substring(1, text.Length - 2), start + 1, interpolated) ? EscapeRegular : null;
            case SyntaxKind.SingleLineRawStringLiteralToken:
            case SyntaxKind.MultiLineRawStringLiteralToken:
                int quotes = 0;
                while (quotes < text.Length && text[quotes] == '"')
                {
                    quotes++;
                }

                bool multiLine = token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken);
                int contentStart = multiLine ? text.IndexOf('\n') + 1 : quotes;
                string value = token.ValueText;
                return contentStart > 0 && MapRaw(builder, text.Substring(contentStart), start + contentStart, value, lineStart: multiLine) ? Unescaped : null;
            default:
                return null;
        }
    }

    private static Func<string, string>? MapInterpolated(Builder builder, InterpolatedStringExpressionSyntax interpolated)
    {
        SyntaxToken start = interpolated.StringStartToken;
        bool raw = start.IsKind(SyntaxKind.InterpolatedSingleLineRawStringStartToken) || start.IsKind(SyntaxKind.InterpolatedMultiLineRawStringStartToken);
        bool verbatim = start.IsKind(SyntaxKind.InterpolatedVerbatimStringStartToken);
        foreach (InterpolatedStringContentSyntax content in interpolated.Contents)
        {
            if (content is InterpolatedStringTextSyntax text)
            {
                SyntaxToken token = text.TextToken;
                bool mapped = raw
                    ? MapRaw(builder, token.Text, token.SpanStart, token.ValueText, lineStart: StartsLine(token))
                    : verbatim
                        ? MapVerbatim(builder, token.Text, token.SpanStart, interpolated: true)
                        : MapRegular(builder, token.Text, token.SpanStart, interpolated: true);
                if (!mapped)
                {
                    return null;
                }
            }
            else if (content is InterpolationSyntax hole)
            {
                // The hole's constant value is not known from syntax: the builder fills it in after the text parts.
                builder.Hole(hole.Span);
            }
        }

        if (!builder.FillHoles())
        {
            return null;
        }

        // Replacements are numbers and quoted names, never braces, so only the quotes of the string's kind need care.
        return raw ? Unescaped : verbatim ? EscapeVerbatim : EscapeRegular;
    }

    private static bool StartsLine(SyntaxToken token)
    {
        SourceText text = token.SyntaxTree!.GetText();
        return token.SpanStart > 0 && text[token.SpanStart - 1] == '\n';
    }

    private static bool MapRegular(Builder builder, string text, int offset, bool interpolated)
    {
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (interpolated && (c == '{' || c == '}') && i + 1 < text.Length && text[i + 1] == c)
            {
                builder.Add(c, offset + i, 2);
                i += 2;
                continue;
            }

            if (c != '\\')
            {
                builder.Add(c, offset + i, 1);
                i++;
                continue;
            }

            if (i + 1 >= text.Length)
            {
                return false;
            }

            char e = text[i + 1];
            char? simple = e switch
            {
                '\'' => '\'', '"' => '"', '\\' => '\\', '0' => '\0', 'a' => '\a', 'b' => '\b', 'e' => '\u001b',
                'f' => '\f', 'n' => '\n', 'r' => '\r', 't' => '\t', 'v' => '\v',
                _ => null,
            };
            if (simple is { } one)
            {
                builder.Add(one, offset + i, 2);
                i += 2;
                continue;
            }

            int digits = e switch { 'u' => 4, 'U' => 8, 'x' => HexRun(text, i + 2, 4), _ => 0 };
            if (digits == 0 || i + 2 + digits > text.Length ||
                !int.TryParse(text.Substring(i + 2, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
            {
                return false;
            }

            string decoded = char.ConvertFromUtf32(code);
            foreach (char d in decoded)
            {
                builder.Add(d, offset + i, 2 + digits);
            }

            i += 2 + digits;
        }

        return true;
    }

    private static int HexRun(string text, int from, int max)
    {
        int n = 0;
        while (n < max && from + n < text.Length && Uri.IsHexDigit(text[from + n]))
        {
            n++;
        }

        return n;
    }

    private static bool MapVerbatim(Builder builder, string text, int offset, bool interpolated)
    {
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            bool doubled = (c == '"' || (interpolated && (c == '{' || c == '}'))) && i + 1 < text.Length && text[i + 1] == c;
            builder.Add(c, offset + i, doubled ? 2 : 1);
            i += doubled ? 2 : 1;
        }

        return true;
    }

    /// <summary>
    /// A raw string's text against its value: the same characters, except that each line of the source starts with
    /// the closing delimiter's indentation, which the value drops (all of it on a line of only whitespace).
    /// </summary>
    private static bool MapRaw(Builder builder, string text, int offset, string value, bool lineStart)
    {
        int i = 0;
        int j = 0;
        while (j < value.Length)
        {
            if (lineStart)
            {
                int sourceWhite = Whitespace(text, i);
                int valueWhite = Whitespace(value, j);
                if (valueWhite > sourceWhite)
                {
                    return false;
                }

                i += sourceWhite - valueWhite;
                lineStart = false;
                continue;
            }

            if (i >= text.Length || text[i] != value[j])
            {
                return false;
            }

            builder.Add(value[j], offset + i, 1);
            lineStart = value[j] == '\n';
            i++;
            j++;
        }

        return true;
    }

    private static int Whitespace(string text, int from)
    {
        int n = 0;
        while (from + n < text.Length && text[from + n] is ' ' or '\t')
        {
            n++;
        }

        return n;
    }

    private static string Unescaped(string replacement) => replacement;

    private static string EscapeRegular(string replacement) => replacement.Replace("\\", "\\\\").Replace("\"", "\\\"");

    private static string EscapeVerbatim(string replacement) => replacement.Replace("\"", "\"\"");

    /// <summary>The value as mapped so far, with a source span and an exactness flag per character.</summary>
    private sealed class Builder
    {
        private readonly string _expected;
        private readonly StringBuilder _value = new();
        private readonly List<(int Index, TextSpan Span)> _holes = new();

        public Builder(string expected)
        {
            _expected = expected;
        }

        public List<TextSpan> Sources { get; } = new();

        public List<bool> Exact { get; } = new();

        public string Value => _value.ToString();

        public void Add(char c, int start, int length)
        {
            _value.Append(c);
            Sources.Add(new TextSpan(start, length));
            Exact.Add(true);
        }

        public void Hole(TextSpan span) => _holes.Add((_value.Length, span));

        /// <summary>
        /// With one hole, its value is what the text parts leave of the constant; its characters map to the hole.
        /// With more, their lengths are unknown, so the whole string maps coarsely (returns false).
        /// </summary>
        public bool FillHoles()
        {
            if (_holes.Count == 0)
            {
                return true;
            }

            if (_holes.Count > 1 || _expected.Length < _value.Length)
            {
                return false;
            }

            // The caller compares the result with the constant, which checks the text on both sides of the hole.
            (int index, TextSpan span) = _holes[0];
            int length = _expected.Length - _value.Length;
            _value.Insert(index, _expected.Substring(index, length));
            Sources.InsertRange(index, Enumerable.Repeat(span, length));
            Exact.InsertRange(index, Enumerable.Repeat(false, length));
            return true;
        }
    }
}
