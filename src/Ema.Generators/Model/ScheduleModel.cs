namespace Ema.Generators.Model;

/// <summary>A [DecaySchedule] class that the generator supports, reduced to strings and numbers.</summary>
/// <param name="Name">The schedule name ("warm-cosine").</param>
/// <param name="Namespace">The class's namespace, empty for the global namespace.</param>
/// <param name="ClassDisplayName">The class name as written in messages ("ExpDecay", "Outer.Inner").</param>
/// <param name="ClassFullName">The fully qualified class with <c>global::</c>.</param>
/// <param name="RecordName">The generated record ("WarmCosineEmaParams").</param>
/// <param name="IsPublic">Whether the record can be public (class and enum parameter types are public).</param>
internal sealed record ScheduleModel(
    string Name,
    string Namespace,
    string ClassDisplayName,
    string ClassFullName,
    string RecordName,
    bool IsPublic,
    EquatableArray<ParameterModel> Parameters)
{
    /// <summary>The record with <c>global::</c>.</summary>
    public string RecordFullName => Namespace.Length == 0 ? "global::" + RecordName : "global::" + Namespace + "." + RecordName;

    /// <summary>The hint name of the record's file: <c>Namespace.Type.g.cs</c>.</summary>
    public string HintName => (Namespace.Length == 0 ? RecordName : Namespace + "." + RecordName) + ".g.cs";
}
