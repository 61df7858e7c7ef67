namespace Ema.Testing;

/// <summary>
/// The schedules Ema.Runtime declares, in one place for every test that expects a list of known names (messages,
/// diagnostics, registry dumps): a new built-in is added here once.
/// </summary>
internal static class BuiltInSchedules
{
    public static readonly string[] Names = ["bema", "constant", "cosine", "exp", "half_life", "power", "swa", "tau", "threshold", "warmup"];

    /// <summary>The built-in names and <paramref name="more"/>, in ordinal order (as the registry lists them), joined.</summary>
    public static string Listed(string separator, params string[] more) =>
        string.Join(separator, Names.Concat(more).Order(StringComparer.Ordinal));
}
