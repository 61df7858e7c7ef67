using Ema.Shared;
using Ema.Shared.Roslyn;
using Microsoft.CodeAnalysis;

namespace Ema.Analyzers.Schedules;

/// <summary>A [DecaySchedule] class as the analyzers see it: its name, its record and its config keys.</summary>
internal sealed class ScheduleInfo
{
    public ScheduleInfo(string name, INamedTypeSymbol type, ImmutableArray<ScheduleParameter> parameters)
    {
        Name = name;
        Type = type;
        Parameters = parameters;
        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } containing ? containing.ToDisplayString() + "." : string.Empty;
        RecordMetadataName = ns + ScheduleNaming.ToRecordName(name);
    }

    /// <summary>The name written in decay_type.</summary>
    public string Name { get; }

    /// <summary>The schedule class.</summary>
    public INamedTypeSymbol Type { get; }

    /// <summary>The generated record's full name: the class's namespace plus {PascalCase(name)}EmaParams.</summary>
    public string RecordMetadataName { get; }

    /// <summary>The parameters of the constructor the generator uses (the public one with the most parameters).</summary>
    public ImmutableArray<ScheduleParameter> Parameters { get; }

    /// <summary>"Ema.ExpDecay (Ema.Runtime)", for messages.</summary>
    public string Origin => Type.ToDisplayString() + " (" + Type.ContainingAssembly.Name + ")";

    public ScheduleParameter? FindByKey(string key) => Parameters.FirstOrDefault(p => p.Key == key);

    /// <summary>Finds a parameter by its C# name, matching both the constructor parameter and the record's property.</summary>
    public ScheduleParameter? FindByMemberName(string name) =>
        Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>One constructor parameter of a schedule: a config key and perhaps a declared range.</summary>
internal sealed class ScheduleParameter
{
    public ScheduleParameter(string name, RangeData? range)
    {
        Name = name;
        Key = ScheduleNaming.ToSnakeCase(name);
        Range = range;
    }

    /// <summary>The C# parameter name, e.g. warmupSteps.</summary>
    public string Name { get; }

    /// <summary>The config key, e.g. warmup_steps.</summary>
    public string Key { get; }

    public RangeData? Range { get; }
}
