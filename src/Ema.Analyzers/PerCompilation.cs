using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Ema.Analyzers;

/// <summary>
/// One value per compilation, built on first use and shared by every analyzer and thread that asks. The table
/// holds the compilation weakly, so the value goes when the compilation does.
/// </summary>
/// <remarks>
/// <see cref="ConditionalWeakTable{TKey, TValue}.GetValue"/> may run its callback on several threads at once and
/// keep one result; the callback only makes a <see cref="Lazy{T}"/>, whose default mode then builds the value
/// exactly once.
/// </remarks>
internal sealed class PerCompilation<T>
    where T : class?
{
    private readonly ConditionalWeakTable<Compilation, Lazy<T>> _values = new();

    public T Get(Compilation compilation, Func<Compilation, T> create) =>
        _values.GetValue(compilation, c => new Lazy<T>(() => create(c))).Value;
}
