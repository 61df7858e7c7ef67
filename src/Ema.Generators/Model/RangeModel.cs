namespace Ema.Generators.Model;

/// <summary>
/// A <c>[Range]</c> declared on a schedule constructor parameter, as C# literals ready to emit.
/// </summary>
/// <param name="MinimumLiteral">The minimum as a literal of the attribute constructor's type (<c>0.0</c> or <c>0</c>).</param>
/// <param name="MaximumLiteral">The maximum, likewise.</param>
/// <param name="MinimumText">The minimum as shown in error messages, or null when it bounds nothing (MinValue, -infinity).</param>
/// <param name="MaximumText">The maximum as shown in error messages, or null when it bounds nothing.</param>
internal sealed record RangeModel(
    string MinimumLiteral,
    string MaximumLiteral,
    bool MinimumIsExclusive,
    bool MaximumIsExclusive,
    string? MinimumText,
    string? MaximumText);
