using Ema.Shared.Roslyn;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Ema.Analyzers.Schedules;

/// <summary>A folded numeric C# constant, as the range checks use it: its value, and its text for messages.</summary>
internal readonly struct NumericConstant
{
    // The constant as the message shows it: a float stays a float, so that 1.2f reads "1.2" and not its double
    // expansion; formatted only when a diagnostic is reported.
    private readonly object _shown;

    private NumericConstant(double value, object shown)
    {
        Value = value;
        _shown = shown;
    }

    /// <summary>The value the range is checked against (a float widened exactly).</summary>
    public double Value { get; }

    /// <summary>The shortest text that round-trips the constant in its own type: "1.2" for 1.2f, "1.2" for 1.2.</summary>
    public string Text => _shown is float single ? RangeData.Format(single) : RangeData.Format(Value);

    /// <summary>The operation's constant when it is a number; null for non-constants, strings, bools, chars and null.</summary>
    /// <remarks>Reads only what the compiler has already folded, so it is the cheap first test for every operation.</remarks>
    public static NumericConstant? Read(IOperation operation)
    {
        Optional<object?> constant = operation.ConstantValue;
        if (!constant.HasValue || constant.Value is not { } folded || ToDouble(folded) is not double value)
        {
            return null;
        }

        // A float passed where a double is expected arrives as the compiler's implicit widening, 1.2f as
        // 1.2000000476837158: the same number, shown as the float the user wrote. An explicit (double) cast is the
        // user's own double and is shown as one.
        object shown = folded is double &&
            operation is IConversionOperation { IsImplicit: true, Operand.ConstantValue: { HasValue: true, Value: float widened } }
            ? widened
            : folded;
        return new NumericConstant(value, shown);
    }

    private static double? ToDouble(object value) => value switch
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
}
