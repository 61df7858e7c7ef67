// Shared by the generator and the analyzers (linked into both, never into the runtime, which has no Roslyn):
// one reading of [Range], so the bounds the generator validates at run time are the bounds the analyzer
// checks constants against at compile time.
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Ema.Shared.Roslyn;

/// <summary>The bounds of one <c>[Range]</c>, as numbers.</summary>
internal sealed class RangeData
{
    public RangeData(double minimum, double maximum, bool minimumIsExclusive, bool maximumIsExclusive, bool isInt32)
    {
        Minimum = minimum;
        Maximum = maximum;
        MinimumIsExclusive = minimumIsExclusive;
        MaximumIsExclusive = maximumIsExclusive;
        IsInt32 = isInt32;
    }

    public double Minimum { get; }

    public double Maximum { get; }

    public bool MinimumIsExclusive { get; }

    public bool MaximumIsExclusive { get; }

    /// <summary>The <c>Range(int, int)</c> form: the bounds are exact ints (the generator keeps int literals).</summary>
    public bool IsInt32 { get; }

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

    /// <summary>The shortest invariant text that reads back as the same double.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The shortest invariant text that reads back as the same float: 1.2f is "1.2", not its double expansion.</summary>
    public static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static bool IsExtreme(double value) =>
        double.IsInfinity(value) || value == double.MaxValue || value == double.MinValue ||
        value == float.MaxValue || value == float.MinValue ||
        value == int.MaxValue || value == int.MinValue || value == long.MaxValue || value == long.MinValue;
}

internal static class RangeReader
{
    public const string RangeAttributeName = "System.ComponentModel.DataAnnotations.RangeAttribute";

    /// <summary>The <c>[Range]</c> on <paramref name="symbol"/>, if any (the attribute allows only one).</summary>
    /// <remarks>
    /// The simple name is compared first: ToDisplayString allocates, and this runs for every attribute of every
    /// argument's parameter the analyzer looks at. The full-name comparison that decides is unchanged.
    /// </remarks>
    public static AttributeData? Find(ISymbol symbol) =>
        symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass is { Name: "RangeAttribute" } attributeClass && attributeClass.ToDisplayString() == RangeAttributeName);

    /// <summary>
    /// Reads <c>[Range(double, double)]</c>, <c>[Range(int, int)]</c> and <c>[Range(typeof(T), "min", "max")]</c>, the
    /// last with its strings parsed as invariant-culture numbers whatever <c>ParseLimitsInInvariantCulture</c> says
    /// (a build must not depend on the machine's culture). Null when the bounds are not numbers: the
    /// schedule shape check (EMA0004) reports that, so a range is never silently dropped.
    /// </summary>
    public static RangeData? Read(AttributeData attribute)
    {
        var arguments = attribute.ConstructorArguments;
        double? minimum = null;
        double? maximum = null;
        bool isInt32 = false;
        if (arguments.Length == 2 && arguments[0].Value is double dmin && arguments[1].Value is double dmax)
        {
            minimum = dmin;
            maximum = dmax;
        }
        else if (arguments.Length == 2 && arguments[0].Value is int imin && arguments[1].Value is int imax)
        {
            minimum = imin;
            maximum = imax;
            isInt32 = true;
        }
        else if (arguments.Length == 3 && arguments[0].Value is ITypeSymbol)
        {
            minimum = ParseInvariant(arguments[1].Value as string);
            maximum = ParseInvariant(arguments[2].Value as string);
        }

        if (minimum is null || maximum is null)
        {
            return null;
        }

        bool minimumIsExclusive = false;
        bool maximumIsExclusive = false;
        foreach (var named in attribute.NamedArguments)
        {
            if (named.Key == "MinimumIsExclusive" && named.Value.Value is bool minExclusive)
            {
                minimumIsExclusive = minExclusive;
            }
            else if (named.Key == "MaximumIsExclusive" && named.Value.Value is bool maxExclusive)
            {
                maximumIsExclusive = maxExclusive;
            }
        }

        return new RangeData(minimum.Value, maximum.Value, minimumIsExclusive, maximumIsExclusive, isInt32);
    }

    // NaN and infinities are spelled differently per culture and runtime; only finite numbers count as bounds.
    private static double? ParseInvariant(string? text) =>
        text is not null && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) &&
        !double.IsNaN(value) && !double.IsInfinity(value)
            ? value
            : null;
}
