// Shared by the generator and the analyzers: the one rule for which schedules of a compilation get no record
// and no registration, so that EMA0003 is reported exactly where the generator emits nothing and the analyzers'
// list of known names is exactly the run-time registry's.
using System;
using System.Collections.Generic;
using System.Linq;

namespace Ema.Shared.Roslyn;

internal static class ScheduleCollisions
{
    /// <summary>
    /// The schedules of one compilation that collide with another of the same compilation: two with one name
    /// (the registry could not tell them apart) or two whose records are one type (<c>"warm-cosine"</c> and
    /// <c>"warm_cosine"</c> both give <c>WarmCosineEmaParams</c> in one namespace, which would not compile).
    /// The generator emits none of them and the analyzers report EMA0003 on each.
    /// </summary>
    /// <param name="schedules">The compilation's own valid schedules.</param>
    /// <param name="name">The schedule's name.</param>
    /// <param name="recordFullName">The generated record's namespace-qualified name.</param>
    public static HashSet<T> Find<T>(IEnumerable<T> schedules, Func<T, string> name, Func<T, string> recordFullName)
    {
        var colliding = new HashSet<T>();
        foreach (Func<T, string> key in new[] { name, recordFullName })
        {
            foreach (IGrouping<string, T> group in schedules.GroupBy(key, StringComparer.Ordinal).Where(g => g.Skip(1).Any()))
            {
                colliding.UnionWith(group);
            }
        }

        return colliding;
    }
}
