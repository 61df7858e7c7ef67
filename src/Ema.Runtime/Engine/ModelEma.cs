using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// An exponential moving average of a model's weights: <c>ema = ema * decay + model * (1 - decay)</c> after each
/// optimizer step, with the decay from the schedule in <see cref="EmaParams"/>.
/// </summary>
/// <remarks>
/// The EMA holds a copy of every floating-point parameter and persistent buffer (BatchNorm statistics included);
/// integer and bool buffers are copied at each update, never averaged. To make an update one in-place op per
/// (device, dtype), the model's tensors are re-pointed at views of one contiguous buffer per group; the
/// Parameter objects stay the same, so an optimizer made before keeps working.
/// Moving the model (<c>module.to(...)</c>) after the EMA was made replaces its parameters: the EMA then refuses
/// to work instead of averaging stale tensors. Make the EMA after moving the model.
/// </remarks>
public sealed class ModelEma : IDisposable
{
    private readonly IDecayFunction _schedule;
    private readonly TensorGroup[] _groups;
    private readonly Dictionary<string, Tensor> _emaByName;
    private EmaWeightsScope? _activeScope;
    private bool _disposed;

    /// <summary>Makes the EMA of <paramref name="model"/>, starting from its current weights.</summary>
    /// <param name="model">The model; its floating-point parameters and persistent buffers are averaged.</param>
    /// <param name="parameters">The decay and schedule, for example <c>new ExpEmaParams(decay: 0.9999, beta: 15)</c>.</param>
    public ModelEma(nn.Module model, EmaParams parameters)
        : this(model, parameters, new ModelEmaOptions())
    {
    }

    /// <summary>Makes the EMA of <paramref name="model"/>, starting from its current weights.</summary>
    /// <param name="model">The model; its floating-point parameters and persistent buffers are averaged.</param>
    /// <param name="parameters">The decay and schedule.</param>
    /// <param name="options">Where and in which precision to keep the EMA.</param>
    /// <exception cref="ArgumentException">The model has no floating-point tensors, or the options ask for a non-floating dtype.</exception>
    public ModelEma(nn.Module model, EmaParams parameters, ModelEmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        if (options.FloatingDtype is { } dtype && !IsFloating(dtype))
        {
            throw new ArgumentException($"ModelEmaOptions.FloatingDtype = {dtype} is not a floating-point dtype; use Float32, Float64, BFloat16 or Float16.", nameof(options));
        }

        Parameters = parameters;
        Options = options;
        _schedule = DecaySchedules.Create(parameters);
        List<List<(string[] Names, Tensor[] Tensors)>> members = GroupModelTensors(model);
        Tensor[] modelTensors = members.SelectMany(g => g.SelectMany(m => m.Tensors)).ToArray();
        ModelOwnership.Claim(this, modelTensors);
        var groups = new List<TensorGroup>(members.Count);
        try
        {
            using (no_grad())
            {
                foreach (List<(string[] Names, Tensor[] Tensors)> group in members)
                {
                    groups.Add(TensorGroup.Create(group, options.FloatingDtype, options.Device));
                }
            }
        }
        catch
        {
            // Out of memory or an unavailable device: free what was made and release the model, so that a
            // later ModelEma of it is not refused. The model's tensors keep their values (re-pointed copies).
            groups.ForEach(g => g.Dispose());
            ModelOwnership.Release(this, modelTensors);
            throw;
        }

        _groups = groups.ToArray();

        if (!_groups.Any(g => g.IsAveraged))
        {
            ReleaseTensors();
            throw new ArgumentException($"The model {model.GetName()} has no floating-point parameters or buffers: there is nothing to average.", nameof(model));
        }

        _emaByName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (TensorSlot slot in _groups.SelectMany(g => g.Slots))
        {
            foreach (string name in slot.Names)
            {
                _emaByName[name] = slot.EmaView;
            }
        }
    }

    /// <summary>The decay and schedule.</summary>
    public EmaParams Parameters { get; }

    /// <summary>Where and in which precision the EMA is kept.</summary>
    public ModelEmaOptions Options { get; }

    /// <summary>The decay used by the last <see cref="Update"/>, or NaN before the first.</summary>
    public double LastDecay { get; private set; } = double.NaN;

    /// <summary>The step of the last <see cref="Update"/> (0 before the first, or the step restored from a checkpoint).</summary>
    public long Step { get; private set; }

    /// <summary>Whether the model currently computes with the EMA weights (inside <see cref="UseEmaWeights"/>).</summary>
    public bool IsEmaInModel => _activeScope is not null;

    /// <summary>How many updates were skipped because the model's weights held NaN or infinity.</summary>
    public long SkippedUpdates { get; private set; }

    /// <summary>Bytes of tensor memory the EMA holds (its copy of the floating state, plus staging when on another device).</summary>
    public long SizeInBytes => _groups.Sum(g => g.EmaBytes);

    /// <summary>
    /// The EMA weights by state-dict name: views owned by this object (do not dispose them), valid until it is disposed.
    /// Tied weights appear under each of their names.
    /// </summary>
    /// <remarks>
    /// Inside <see cref="UseEmaWeights"/> the views share memory with the model. A group of many small tensors is
    /// swapped by exchanging values, and its views are pointed at the model only when this property is read: read it
    /// inside the scope rather than keeping the dictionary from before.
    /// </remarks>
    public IReadOnlyDictionary<string, Tensor> EmaWeights
    {
        get
        {
            ThrowIfUnusable();
            if (_activeScope is not null)
            {
                // A group swapped by exchanging values holds the EMA in the model's buffer until the scope ends.
                foreach (TensorGroup group in _groups)
                {
                    group.ShowEmaInEmaViews();
                }
            }

            return _emaByName;
        }
    }

    /// <summary>Updates the EMA after one optimizer step.</summary>
    /// <param name="step">The step, counting from 1: the global batch index of this optimizer step.</param>
    /// <param name="totalSteps">The total number of steps (batches per epoch x max epochs).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative or <paramref name="totalSteps"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">Called inside <see cref="UseEmaWeights"/>, or the model's parameters were replaced.</exception>
    public void Update(long step, long totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        ThrowIfUnusable();
        if (_activeScope is not null)
        {
            throw new InvalidOperationException("ModelEma.Update was called inside UseEmaWeights(): the model holds the EMA weights, so the update would average the EMA with itself. Dispose the scope first.");
        }

        double decay = _schedule.Compute(Parameters.Decay, step, totalSteps);
        if (!(decay >= 0.0 && decay <= 1.0))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The '{Parameters.DecayType}' schedule returned decay = {decay:R} at step {step} of {totalSteps}; a decay must lie in [0, 1]."));
        }

        using (no_grad())
        {
            if (Options.NonFinite != NonFinitePolicy.Ignore && ModelHasNonFinite())
            {
                RefuseNonFinite(step);
                return;
            }

            foreach (TensorGroup group in _groups)
            {
                group.Update(decay);
            }
        }

        LastDecay = decay;
        Step = step;
    }

    /// <summary>
    /// Puts the EMA weights into the model until the returned scope is disposed (validation). Where the EMA has
    /// the model's dtype and device, the model's tensors are re-pointed at the EMA's storage (no data moves) or, for
    /// a group of many small tensors where that costs more, the two buffers exchange values through a small staging
    /// chunk; otherwise the model's weights are kept aside. Either way they come back bit-identical, and the
    /// Parameter objects stay the same.
    /// </summary>
    /// <returns>The scope; disposing it gives the model its own weights back.</returns>
    /// <exception cref="InvalidOperationException">A scope is already active, or the model's parameters were replaced.</exception>
    public IDisposable UseEmaWeights()
    {
        ThrowIfUnusable();
        if (_activeScope is not null)
        {
            throw new InvalidOperationException("UseEmaWeights() is already active: nested use would lose the model's own weights. Dispose the first scope before asking again.");
        }

        int swapped = 0;
        try
        {
            using (no_grad())
            {
                for (; swapped < _groups.Length; swapped++)
                {
                    _groups[swapped].SwapIn();
                }
            }
        }
        catch
        {
            // A group that could not swap (its backup could not be allocated) must not leave the others holding
            // EMA weights where the model's own belong: optimizer steps and checkpoints would then write them.
            using (no_grad())
            {
                for (int i = swapped - 1; i >= 0; i--)
                {
                    _groups[i].SwapOut();
                }
            }

            throw;
        }

        _activeScope = new EmaWeightsScope(this);
        return _activeScope;
    }

    /// <summary>Copies the EMA weights into the model (end of training).</summary>
    /// <exception cref="InvalidOperationException">Called inside <see cref="UseEmaWeights"/> (dispose the scope first), or the model's parameters were replaced.</exception>
    public void CopyToModel()
    {
        ThrowIfUnusable();
        if (_activeScope is not null)
        {
            throw new InvalidOperationException("ModelEma.CopyToModel was called inside UseEmaWeights(): disposing the scope afterwards would undo it. Dispose the scope first.");
        }

        using (no_grad())
        {
            foreach (TensorGroup group in _groups)
            {
                group.CopyEmaToModel();
            }
        }
    }

    /// <summary>
    /// Restores the EMA from saved weights (a checkpoint's <c>ema_net</c>) and step. Every EMA tensor must be
    /// present with its shape; nothing is changed unless all are.
    /// </summary>
    /// <param name="weights">EMA weights by state-dict name.</param>
    /// <param name="step">The EMA step to continue from.</param>
    /// <exception cref="ArgumentException">A tensor is missing or has another shape.</exception>
    public void Load(IReadOnlyDictionary<string, Tensor> weights, long step)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ThrowIfUnusable();
        if (_activeScope is not null)
        {
            throw new InvalidOperationException("ModelEma.Load was called inside UseEmaWeights(): the model computes with the EMA weights being replaced. Dispose the scope first.");
        }

        foreach ((string name, Tensor target) in _emaByName)
        {
            if (!weights.TryGetValue(name, out Tensor? source))
            {
                throw new ArgumentException($"The EMA weights to load have no tensor '{name}'.", nameof(weights));
            }

            if (!source.shape.SequenceEqual(target.shape))
            {
                throw new ArgumentException($"The EMA tensor '{name}' has shape [{string.Join(", ", source.shape)}]; the model's is [{string.Join(", ", target.shape)}].", nameof(weights));
            }
        }

        using (no_grad())
        {
            foreach ((string name, Tensor target) in _emaByName)
            {
                target.copy_(weights[name]);
            }
        }

        Step = step;
    }

    /// <summary>Frees every tensor the EMA made. The model keeps its weights (and, inside a scope, gets them back first).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        // Inside a scope, the model gets its own weights back before the buffers they live in are released.
        _activeScope?.Dispose();

        _disposed = true;
        ReleaseTensors();
    }

    /// <summary>How each group swaps (for the benchmark's report).</summary>
    internal IEnumerable<SwapMethod> SwapMethods => _groups.Select(g => g.Swap);

    internal void EndScope(EmaWeightsScope scope)
    {
        if (!ReferenceEquals(scope, _activeScope))
        {
            return;
        }

        _activeScope = null;
        if (_disposed)
        {
            return;
        }

        using (no_grad())
        {
            foreach (TensorGroup group in _groups)
            {
                group.SwapOut();
            }
        }
    }

    private bool ModelHasNonFinite()
    {
        foreach (TensorGroup group in _groups)
        {
            if (group.ModelHasNonFinite())
            {
                return true;
            }
        }

        return false;
    }

    private void RefuseNonFinite(long step)
    {
        string name = _groups.Where(g => g.ModelHasNonFinite()).SelectMany(g => g.Slots.Where(g.ModelHasNonFinite)).First().Names[0];
        string message = $"The model's weights hold NaN or infinity at step {step} (first in '{name}'): the EMA update was skipped and the EMA keeps its last finite weights.";
        if (Options.NonFinite == NonFinitePolicy.Throw)
        {
            throw new NonFiniteWeightsException(message.Replace("was skipped", "was refused", StringComparison.Ordinal), step);
        }

        SkippedUpdates++;
        (Options.Warning ?? Console.Error.WriteLine)("warning: " + message);
    }

    private static bool IsFloating(ScalarType dtype) =>
        dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    private void ReleaseTensors()
    {
        ModelOwnership.Release(this, _groups.SelectMany(g => g.Slots).SelectMany(s => s.ModelTensors));
        foreach (TensorGroup group in _groups)
        {
            group.Dispose();
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (TensorGroup group in _groups)
        {
            if (group.FindReplacedTensor() is { } name)
            {
                throw new InvalidOperationException(
                    $"The model's tensor '{name}' was replaced or disposed after the ModelEma was made (module.to(device or dtype) does that). " +
                    "The EMA would average stale tensors: make the ModelEma after moving the model, or make a new one now.");
            }
        }
    }

    /// <summary>
    /// The model's state-dict tensors grouped by (device, dtype), in state-dict order, with tied weights (one
    /// Parameter object under several names) merged into one member, so they are averaged once.
    /// </summary>
    private static List<List<(string[] Names, Tensor[] Tensors)>> GroupModelTensors(nn.Module model)
    {
        var members = new List<(List<string> Names, Tensor Tensor)>();
        foreach ((string name, Tensor tensor) in model.state_dict())
        {
            int tied = members.FindIndex(m => ReferenceEquals(m.Tensor, tensor));
            if (tied >= 0)
            {
                members[tied].Names.Add(name);
            }
            else
            {
                members.Add((new List<string> { name }, tensor));
            }
        }

        return members
            .GroupBy(m => (m.Tensor.device.ToString(), m.Tensor.dtype))
            .Select(g => g.Select(m => (m.Names.ToArray(), new[] { m.Tensor })).ToList())
            .ToList();
    }
}
