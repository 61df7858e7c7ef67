using System.ComponentModel;

namespace Ema.__Internals;

/// <summary>
/// Marks an assembly whose generated <paramref name="registry"/> class registers decay schedules; its
/// <c>public static void Register()</c> method is called by the generated code of referencing assemblies,
/// so that their schedules are found by name before any of their types is touched.
/// </summary>
/// <param name="registry">The generated registry class of the assembly.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class DecayScheduleProviderAttribute(Type registry) : Attribute
{
    /// <summary>The generated registry class of the assembly.</summary>
    public Type Registry { get; } = registry;
}
