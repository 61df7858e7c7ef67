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
public sealed partial class ModelEma : IDisposable
{
    private readonly IDecayFunction _schedule;
    private readonly TensorGroup[] _groups;
    private readonly Dictionary<string, Tensor> _emaByName;
    private readonly SharedModel _share;
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
        if (options.FloatingDtype is { } dtype && !FloatingDtypes.Contains(dtype))
        {
            throw new ArgumentException($"ModelEmaOptions.FloatingDtype = {dtype} is not a floating-point dtype; use Float32, Float64, BFloat16 or Float16.", nameof(options));
        }

        if (TwinBinding.IsBoundTwin(model))
        {
            // Averaging it would re-point its tensors away from the EMA it views.
            throw new InvalidOperationException($"The model {model.GetName()} is bound as the twin of another ModelEma: a twin computes with that EMA's weights and is never trained, so it cannot have an EMA of its own. Dispose its TwinBinding first.");
        }

        EmaParams = parameters;
        Options = options;
        _schedule = parameters.NewSchedule();
        List<List<(string[] Names, Tensor[] Tensors)>> members = TensorGroup.GroupModelTensors(model);
        _selection = EmaSelection.Apply(members, options);
        Tensor[] modelTensors = members.SelectMany(g => g.SelectMany(m => m.Tensors)).ToArray();
        lock (ModelOwnership.Gate)
        {
            // Another live EMA of this model already re-pointed its tensors: share that buffer instead of moving them again.
            SharedModel? existing = ModelOwnership.Find(modelTensors);
            if (existing?.EmaInModel is not null)
            {
                throw new InvalidOperationException(
                    "A ModelEma of this model is being made inside another ModelEma's UseEmaWeights(): the model holds that EMA's weights, " +
                    "so the new EMA would start from them. Dispose the scope first.");
            }

            var groups = new List<TensorGroup>(members.Count);
            try
            {
                using (no_grad())
                {
                    for (int i = 0; i < members.Count; i++)
                    {
                        groups.Add(TensorGroup.Create(members[i], options.FloatingDtype, options.Device, existing?.ModelFlats[i]));
                    }
                }
            }
            catch
            {
                // Out of memory or an unavailable device: free what was made. The model's tensors keep their values
                // (re-pointed copies, or the shared buffer left as it was).
                groups.ForEach(g => g.Dispose());
                throw;
            }

            if (!groups.Any(g => g.IsAveraged))
            {
                groups.ForEach(g => g.Dispose());
                throw new ArgumentException($"The model {model.GetName()} has no floating-point parameters or buffers{(options.Exclude is null ? "" : " left after ModelEmaOptions.Exclude")}: there is nothing to average.", nameof(model));
            }

            _groups = groups.ToArray();
            _share = ModelOwnership.Join(this, modelTensors, existing, _groups);
        }

        _model = model;
        KeepCorrection();
        _emaByName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (TensorSlot slot in _groups.SelectMany(g => g.Slots))
        {
            foreach (string name in slot.Names)
            {
                _emaByName[name] = slot.EmaView;
            }
        }

        foreach ((string name, Tensor excluded) in _selection.Excluded)
        {
            _emaByName[name] = excluded;
        }
    }

    /// <summary>The EMA's decay and schedule (not the model's parameters: those are the model's).</summary>
    public EmaParams EmaParams { get; }

    /// <summary>Where and in which precision the EMA is kept.</summary>
    public ModelEmaOptions Options { get; }

    /// <summary>The decay used by the last <see cref="Update(long, long)"/> that did work (<c>d^(k * s)</c> with <see cref="ModelEmaOptions.UpdateEvery"/> = k and <see cref="ModelEmaOptions.BatchScale"/> = s), or NaN before the first.</summary>
    public double LastDecay { get; private set; } = double.NaN;

    /// <summary>The step of the last <see cref="Update(long, long)"/> that did work (0 before the first, or the step restored from a checkpoint).</summary>
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

    /// <summary>
    /// Updates the EMA after one optimizer step; with <see cref="ModelEmaOptions.UpdateEvery"/> = k it does work only
    /// on steps that are multiples of k, with the decay <c>d(step)^k</c>.
    /// </summary>
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

        ThrowIfAnotherIsInModel("Update", "the update would average that EMA's weights instead of the model's");
        NoteStep(step);

        if (step % Options.UpdateEvery != 0)
        {
            return;
        }

        double decay = _schedule.Compute(EmaParams.Decay, step, totalSteps);
        if (!(decay >= 0.0 && decay <= 1.0))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The '{EmaParams.DecayType}' schedule returned decay = {decay:R} at step {step} of {totalSteps}; a decay must lie in [0, 1]."));
        }

        decay = ScaledDecay(decay);

        BeforeUpdate(step);
        using (no_grad())
        {
            if (Options.NonFinite != NonFinitePolicy.Ignore && ModelHasNonFinite())
            {
                RefuseNonFinite(step);
                return;
            }

            UpdateGroups(step, decay);
        }

        LastDecay = decay;
        Step = step;
        SwitchIfDue(step);
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

        ThrowIfAnotherIsInModel("UseEmaWeights", "the model's own weights would be lost");

        int swapped = 0;
        try
        {
            using (no_grad())
            {
                for (; swapped < _groups.Length; swapped++)
                {
                    // A bound twin views the EMA's buffer: exchanging values would show it the model's weights.
                    _groups[swapped].SwapIn(emaBufferIsViewed: _twins.Count > 0);
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
        _share.EmaInModel = this;
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

        ThrowIfAnotherIsInModel("CopyToModel", "disposing that scope afterwards would undo the copy");

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
    /// present with its shape; nothing is changed unless all are. Tensors left out by <see cref="ModelEmaOptions.Exclude"/>
    /// are the model's own: they are neither needed nor written (the model's weights come from <c>net</c>).
    /// </summary>
    /// <param name="weights">EMA weights by state-dict name.</param>
    /// <param name="step">The EMA step to continue from.</param>
    /// <exception cref="ArgumentException">A tensor is missing or has another shape.</exception>
    public void Load(IReadOnlyDictionary<string, Tensor> weights, long step)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ThrowIfNotLoadable(step);
        foreach ((string name, Tensor target) in LoadTargets())
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

        ThrowIfCorrectionIsNeeded(step);
        Fill((name, target) => target.copy_(weights[name]), step);
        ResetCorrectionToEma();
    }

    /// <summary>
    /// Restores the EMA through <paramref name="fill"/>, called with each tensor to load (left-out ones are the model's
    /// and are skipped), then the step: <c>Checkpoint.Resume</c> streams a checkpoint's <c>ema_net</c> straight into
    /// the EMA's own tensors this way, after checking their shapes in the file's header.
    /// </summary>
    internal void Load(Action<string, Tensor> fill, long step)
    {
        ThrowIfNotLoadable(step);
        Fill(fill, step);
    }

    private void ThrowIfNotLoadable(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ThrowIfUnusable();
        if (_activeScope is not null)
        {
            throw new InvalidOperationException("ModelEma.Load was called inside UseEmaWeights(): the model computes with the EMA weights being replaced. Dispose the scope first.");
        }
    }

    private void Fill(Action<string, Tensor> fill, long step)
    {
        using (no_grad())
        {
            foreach ((string name, Tensor target) in LoadTargets())
            {
                fill(name, target);
            }
        }

        Step = step;
        NoteLoadedStep(step);
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
        ReleaseTwins();
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
        if (ReferenceEquals(_share.EmaInModel, this))
        {
            _share.EmaInModel = null;
        }

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
        bool refuse = Options.NonFinite == NonFinitePolicy.Throw;
        string message = $"The model's weights hold NaN or infinity at step {step} (first in '{name}'): the EMA update was {(refuse ? "refused" : "skipped")} and the EMA keeps its last finite weights.";
        if (refuse)
        {
            throw new NonFiniteWeightsException(message, step);
        }

        SkippedUpdates++;
        (Options.Warning ?? Console.Error.WriteLine)("warning: " + message);
    }

    private void ReleaseTensors()
    {
        ModelOwnership.Leave(this, _share);
        foreach (TensorGroup group in _groups)
        {
            group.Dispose();
        }
    }

    private void ThrowIfAnotherIsInModel(string operation, string consequence)
    {
        if (_share.EmaInModel is { } other && !ReferenceEquals(other, this))
        {
            throw new InvalidOperationException(
                $"ModelEma.{operation} was called while another ModelEma of the same model is inside its UseEmaWeights(): the model holds that EMA's weights, so {consequence}. Dispose that scope first.");
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
}
