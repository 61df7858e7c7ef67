using System.ComponentModel;
using System.Globalization;
using System.Numerics;

namespace Ema.Cli;

/// <summary>
/// Reads a number option in the invariant culture (a dot, whatever the machine's language), and refuses anything
/// else with a message naming the option and the value (Spectre's own says only "Failed to convert 'abc' to Nullable`1").
/// </summary>
internal abstract class OptionNumberConverter<T>(string option, string example) : TypeConverter
    where T : struct, INumber<T>
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
    {
        string text = (string)value;
        return T.TryParse(text, NumberStyles.Float & ~NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out T number)
            ? number
            : throw new FormatException($"{option} '{text}' is not {example}.");
    }
}

/// <summary><c>--sigma-rel</c>: a decimal number such as 0.05.</summary>
internal sealed class SigmaRelConverter() : OptionNumberConverter<double>("--sigma-rel", "a number; write it with a dot, e.g. 0.05");

/// <summary><c>--at-step</c>: a whole number such as 6000.</summary>
internal sealed class StepConverter() : OptionNumberConverter<long>("--at-step", "a whole number up to 9223372036854775807, e.g. 6000");
