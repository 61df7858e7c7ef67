using System.Globalization;
using Ema.Shared.Roslyn;
using Microsoft.CodeAnalysis;

namespace Ema.Analyzers.Schedules;

/// <summary>An interval read from a [Range] attribute (or the fixed (0, 1) of a decay), with its description for messages.</summary>
internal sealed class ValueRange
{
    /// <summary>The decay's open interval (0, 1), declared by EmaParams.Decay.</summary>
    public static readonly ValueRange Decay = new(0, 1, minimumIsExclusive: true, maximumIsExclusive: true);

    public ValueRange(double minimum, double maximum, bool minimumIsExclusive, bool maximumIsExclusive)
    {
        Minimum = minimum;
        Maximum = maximum;
        MinimumIsExclusive = minimumIsExclusive;
        MaximumIsExclusive = maximumIsExclusive;
    }

    public double Minimum { get; }

    public double Maximum { get; }

    public bool MinimumIsExclusive { get; }

    public bool MaximumIsExclusive { get; }

    public bool Contains(double value)
    {
        if (double.IsNaN(value))
        {
            return false;
        }

        bool aboveMinimum = MinimumIsExclusive ? value > Minimum : value >= Minimum;
        bool belowMaximum = MaximumIsExclusive ? value < Maximum : value <= Maximum;
        return aboveMinimum && belowMaximum;
    }

    /// <summary>"> 0", "<= 10" or "in the interval (0, 1]": a bound at a type's extreme value is no bound for a reader.</summary>
    public string Describe()
    {
        bool noMinimum = IsExtreme(Minimum);
        bool noMaximum = IsExtreme(Maximum);
        if (noMaximum && !noMinimum)
        {
            return (MinimumIsExclusive ? "> " : ">= ") + Format(Minimum);
        }

        if (noMinimum && !noMaximum)
        {
            return (MaximumIsExclusive ? "< " : "<= ") + Format(Maximum);
        }

        return "in the interval " + (MinimumIsExclusive ? "(" : "[") + Format(Minimum) + ", " + Format(Maximum) + (MaximumIsExclusive ? ")" : "]");
    }

    /// <summary>Reads a [Range] with the reader the generator uses; null when its bounds are not numbers (EMA0004 says so).</summary>
    public static ValueRange? FromAttribute(AttributeData attribute) =>
        RangeReader.Read(attribute) is { } range
            ? new ValueRange(range.Minimum, range.Maximum, range.MinimumIsExclusive, range.MaximumIsExclusive)
            : null;

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Converts a folded C# constant to double; null for strings, bools, chars and null.</summary>
    public static double? ToDouble(object? value) => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        short s => s,
        sbyte sb => sb,
        byte b => b,
        ushort us => us,
        uint ui => ui,
        ulong ul => ul,
        decimal m => (double)m,
        _ => null,
    };

    private static bool IsExtreme(double value) =>
        double.IsInfinity(value) || value == double.MaxValue || value == double.MinValue ||
        value == float.MaxValue || value == float.MinValue ||
        value == int.MaxValue || value == int.MinValue || value == long.MaxValue || value == long.MinValue;
}
