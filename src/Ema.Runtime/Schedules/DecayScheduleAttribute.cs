namespace Ema;

/// <summary>
/// Registers an <see cref="IDecayFunction"/> under a name at compile time. The Ema generator emits a record
/// <c>{PascalCase(name)}EmaParams</c> for the class, with one property per public constructor parameter, and
/// registers the schedule so that <c>"decay_type": "name"</c> in a config finds it.
/// </summary>
/// <param name="name">The schedule's name, as written in <c>decay_type</c>.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class DecayScheduleAttribute(string name) : Attribute
{
    /// <summary>The schedule's name, as written in <c>decay_type</c>.</summary>
    public string Name { get; } = name;
}
