using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// The model tensors that <see cref="ModelEmaOptions.Exclude"/> leaves out of the EMA: the EMA uses the model's own
/// tensor for each (checkpoints write its value as <c>ema_net</c>, a twin views it). A left-out parameter that was
/// frozen when the EMA was made and later trains is reported once, at the next update.
/// </summary>
internal sealed class EmaSelection
{
    private readonly (string Name, Tensor Tensor)[] _excluded;
    private readonly List<(string Name, Parameter Parameter)> _frozen;
    private readonly Action<string> _warning;
    private readonly HashSet<string> _names;

    private EmaSelection((string Name, Tensor Tensor)[] excluded, Action<string> warning)
    {
        _excluded = excluded;
        _names = excluded.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        _warning = warning;
        _frozen = excluded
            .Where(e => e.Tensor is Parameter { requires_grad: false })
            .Select(e => (e.Name, (Parameter)e.Tensor))
            .ToList();
    }

    /// <summary>The left-out tensors by state-dict name (tied weights under each name); the model's own objects.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> Excluded => _excluded;

    /// <summary>
    /// The first left-out floating tensor that holds NaN or infinity, or null. The EMA hands these out as they are
    /// (they are the model's own), so the non-finite policy checks them at each update and before each save; this
    /// reads each once (they are usually few, or frozen and small next to the averaged ones).
    /// </summary>
    public string? FindNonFinite()
    {
        foreach ((string name, Tensor tensor) in _excluded)
        {
            if (!tensor.IsInvalid && NonFiniteProbe.FindNonFinite(tensor) is not null)
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>Whether the state-dict name is left out of the EMA.</summary>
    public bool IsExcluded(string name) => _names.Contains(name);

    /// <summary>
    /// Removes from <paramref name="groups"/> every member the predicate leaves out (a tied member if any of its names
    /// is), and every group left empty.
    /// </summary>
    public static EmaSelection Apply(List<List<(string[] Names, Tensor Tensor)>> groups, ModelEmaOptions options)
    {
        var excluded = new List<(string Name, Tensor Tensor)>();
        if (options.Exclude is { } exclude)
        {
            foreach (List<(string[] Names, Tensor Tensor)> group in groups)
            {
                group.RemoveAll(member =>
                {
                    if (!member.Names.Any(name => exclude(name, member.Tensor)))
                    {
                        return false;
                    }

                    excluded.AddRange(member.Names.Select(name => (name, member.Tensor)));
                    return true;
                });
            }

            groups.RemoveAll(g => g.Count == 0);
        }

        return new EmaSelection(excluded.ToArray(), ConfigWarnings.To(options.Logger));
    }

    /// <summary>Reports, once each, left-out parameters that were frozen and now require grad: their EMA is not averaged.</summary>
    public void ReportUnfrozen(long step)
    {
        for (int i = _frozen.Count - 1; i >= 0; i--)
        {
            (string name, Parameter parameter) = _frozen[i];
            if (parameter.IsInvalid || !parameter.requires_grad)
            {
                continue;
            }

            _frozen.RemoveAt(i);
            _warning($"the parameter '{name}' was left out of the EMA because it was frozen, and at step {step} it requires grad: " +
                "its EMA is the model's current value, not an average. Make the ModelEma after unfreezing, or do not exclude it.");
        }
    }
}
