using Microsoft.CodeAnalysis;

namespace Ema.Generators;

/// <summary>Turns [DecaySchedule] classes into registry entries and typed EmaParams records (filled by the Generator issue).</summary>
[Generator(LanguageNames.CSharp)]
public sealed class DecayScheduleGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
