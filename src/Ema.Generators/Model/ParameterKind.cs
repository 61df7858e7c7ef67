namespace Ema.Generators.Model;

/// <summary>The constructor parameter types a schedule may take; each has its own EmaParamsSource getter and JSON writer.</summary>
internal enum ParameterKind
{
    Double,
    Single,
    Int32,
    Int64,
    Boolean,
    String,
    Enum,
}
