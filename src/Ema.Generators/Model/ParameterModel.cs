namespace Ema.Generators.Model;

/// <summary>One constructor parameter of a schedule, as the record's constructor parameter, property and config key.</summary>
/// <param name="Name">The C# parameter name, escaped with '@' when it is a keyword.</param>
/// <param name="PlainName">The parameter name as declared, for messages.</param>
/// <param name="PropertyName">The record's PascalCase property.</param>
/// <param name="Key">The snake_case config key.</param>
/// <param name="TypeName">The fully qualified C# type, with '?' for a nullable string.</param>
/// <param name="DefaultLiteral">
/// The declared default as a C# literal, or null when the schedule's constructor declares none: then the parameter is
/// required in C# (the record's constructor takes it before <c>decay</c>) and in config. A nullable string without
/// a default has <c>null</c> (its absent key means null).
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
    string? DefaultLiteral,
    RangeModel? Range,
    string? Documentation)
{
    /// <summary>The schedule's constructor declares no default: C# callers and config must give a value.</summary>
    public bool IsRequired => DefaultLiteral == null;
}
