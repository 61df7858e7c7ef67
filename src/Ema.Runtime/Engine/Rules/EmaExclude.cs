using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Ready-made predicates for <see cref="ModelEmaOptions.Exclude"/>: which state-dict tensors to leave out of the EMA.
/// A left-out tensor is not copied; the EMA uses the model's own tensor for it.
/// </summary>
public static class EmaExclude
{
    /// <summary>
    /// Parameters that do not require grad when the EMA is made (frozen layers, LoRA's base weights): their EMA is
    /// themselves, so leaving them out is exact and saves their memory. Buffers (BatchNorm statistics) stay averaged.
    /// </summary>
    public static Func<string, Tensor, bool> FrozenParameters { get; } = static (_, tensor) => tensor is Parameter { requires_grad: false };

    /// <summary>
    /// Tensors by state-dict name: an entry ending in <c>.</c> leaves out every name that starts with it
    /// (<c>"backbone."</c>), any other entry the one tensor of that exact name.
    /// </summary>
    /// <param name="namesOrPrefixes">Exact names, or prefixes ending in <c>.</c>.</param>
    /// <returns>The predicate.</returns>
    /// <exception cref="ArgumentException">An entry is null or empty.</exception>
    public static Func<string, Tensor, bool> Names(params string[] namesOrPrefixes)
    {
        ArgumentNullException.ThrowIfNull(namesOrPrefixes);
        for (int i = 0; i < namesOrPrefixes.Length; i++)
        {
            if (string.IsNullOrEmpty(namesOrPrefixes[i]))
            {
                throw new ArgumentException($"EmaExclude.Names: entry {i} is null or empty; give state-dict names such as 'fc.weight' or prefixes such as 'backbone.'.", nameof(namesOrPrefixes));
            }
        }

        string[] entries = (string[])namesOrPrefixes.Clone();
        return (name, _) => entries.Any(e => e.EndsWith('.') ? name.StartsWith(e, StringComparison.Ordinal) : name == e);
    }
}
