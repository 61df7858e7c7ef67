namespace Ema.Generators.Model;

/// <summary>One constructor parameter of a schedule, as the record's constructor parameter, property and config key.</summary>
/// <param name="Name">The C# parameter name, escaped with '@' when it is a keyword.</param>
/// <param name="PlainName">The parameter name as declared, for messages.</param>
/// <param name="PropertyName">The record's PascalCase property.</param>
/// <param name="Key">The snake_case config key.</param>
/// <param name="TypeName">The fully qualified C# type, with '?' for a nullable string.</param>
/// <param name="DefaultLiteral">The default as a C# literal (the type's default when none is declared).</param>
/// <param name="IsRequired">
/// The schedule's constructor declares no default (and the parameter is not a nullable string, whose absent key
/// means null): config must give the key. The record still has <paramref name="DefaultLiteral"/> as its C#
/// default, because C# needs one after <c>decay = 0.9999</c>.
/// </param>
/// <param name="Range">The declared [Range], if any (numeric kinds only).</param>
/// <param name="Documentation">The schedule author's &lt;param&gt; doc as XML text on one line, if the compilation parsed docs.</param>
internal sealed record ParameterModel(
    string Name,
    string PlainName,
    string PropertyName,
    string Key,
    ParameterKind Kind,
    string TypeName,
    bool IsNullable,
    string DefaultLiteral,
    bool IsRequired,
    RangeModel? Range,
    string? Documentation);
