using System.Globalization;
using Microsoft.CodeAnalysis.CSharp;

namespace Ema.Generators;

/// <summary>C# literals and message text for constant values, culture-independent and round-trippable.</summary>
internal static class Literals
{
    public static string Double(double value)
    {
        if (double.IsNaN(value))
        {
            return "double.NaN";
        }

        if (double.IsPositiveInfinity(value))
        {
            return "double.PositiveInfinity";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "double.NegativeInfinity";
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture);

        // "15" would be an int literal: overload resolution (RangeAttribute) must see a double.
        return text.IndexOfAny(new[] { '.', 'E', 'e' }) >= 0 ? text : text + ".0";
    }

    public static string Single(float value)
    {
        if (float.IsNaN(value))
        {
            return "float.NaN";
        }

        if (float.IsPositiveInfinity(value))
        {
            return "float.PositiveInfinity";
        }

        if (float.IsNegativeInfinity(value))
        {
            return "float.NegativeInfinity";
        }

        return value.ToString("R", CultureInfo.InvariantCulture) + "F";
    }

    public static string Int32(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Int64(long value) => value.ToString(CultureInfo.InvariantCulture) + "L";

    public static string Boolean(bool value) => value ? "true" : "false";

    public static string String(string? value) => value == null ? "null" : SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>A number as written in error messages ("0", "1.5", "1E+308").</summary>
    public static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
