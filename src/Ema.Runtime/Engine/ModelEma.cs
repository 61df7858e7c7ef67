// Over 300 lines: construction (grouping, joining the model's ownership, the starting checks), Update and Dispose with
// their contracts in XML docs; every other concern is a partial file beside it (Swap/, Twin/, Rules/, Load, Counter,
// Switch, Correction, BatchNorm).
using System.Globalization;
using System.Numerics;
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
    private readonly ModelOwnership _ownership;
    private readonly nn.Module _model;
    private readonly ModelTensors _modelTensors;
    private readonly string? _totalReader;   // the decay_type when the schedule reads totalSteps (StepRule), else null
    private readonly EmaSelection _selection;  // which model tensors the EMA leaves out (ModelEmaOptions.Exclude)
    private readonly List<TwinBinding> _twins = [];
    private EmaWeightsScope? _activeScope;
    private long _lastStep;                  // the step of the last accepted Update call (or the step loaded): the next must be greater
    private string? _incompleteLoad;         // why the EMA's values cannot be handed out: a load stopped part-way
    private bool _structureChecked;          // the model's module tree was walked once since the EMA was made (ModelTensors)
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
    /// <exception cref="ArgumentException">
    /// The model has no floating-point tensors, has a complex tensor (not left out by <see cref="ModelEmaOptions.Exclude"/>), holds a
    /// value the EMA's dtype cannot hold (a float16 EMA of a float32 model beyond 65504), or the options ask for a non-floating dtype.
    /// </exception>
    /// <exception cref="NonFiniteWeightsException">The model's weights already hold NaN or infinity (unless <see cref="NonFinitePolicy.Ignore"/>): the EMA would start from them.</exception>
    /// <exception cref="InvalidOperationException">The model computes with an EMA's weights (inside <see cref="UseEmaWeights"/>) or is bound as a twin (<see cref="BindTwin"/>).</exception>
    public ModelEma(nn.Module model, EmaParams parameters, ModelEmaOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        if (options.FloatingDtype is { } dtype && !FloatingDtypes.Contains(dtype))
        {
            throw new ArgumentException($"ModelEmaOptions.FloatingDtype = {dtype} is not a floating-point dtype; use Float32, Float64, BFloat16 or Float16.", nameof(options));
        }

        if (options.CadenceConflict("ModelEmaOptions.SwitchEvery", nameof(ModelEmaOptions.UpdateEvery)) is { } conflict)
        {
            throw new ArgumentException(conflict, nameof(options));
        }

        EmaParams = parameters;
        Options = options;
        _schedule = parameters.NewSchedule();
        _totalReader = StepRule.ReadsTotal(_schedule) ? parameters.DecayType : null;
        _model = model;
        _modelTensors = new ModelTensors(model);
        List<List<(string[] Names, Tensor Tensor)>> members = TensorGroup.GroupModelTensors(model);
        _selection = EmaSelection.Apply(members, options);
        CheckStartingValues(members, _selection, options);
        Tensor[] modelTensors = members.SelectMany(g => g.Select(m => m.Tensor)).ToArray();
        lock (TensorClaims.Gate)
        {
            // Another live EMA of this model already re-pointed its tensors: share that buffer instead of moving them again.
            ModelOwnership? existing = ModelOwnership.Find(modelTensors);
            if (existing?.EmaInModel is not null)
            {
                throw new InvalidOperationException(
                    "A ModelEma of this model is being made inside another ModelEma's UseEmaWeights(): the model holds that EMA's weights, " +
                    "so the new EMA would start from them. Dispose the scope first.");
            }

            // Making the EMA re-points the model's tensors: the rule of every write (not inside a scope, not a twin; also
            // a part or a parent of such a model).
            TensorClaims.ThrowIfNotWritable(model, "new ModelEma");

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
            _ownership = ModelOwnership.Join(this, modelTensors, existing, _groups);
        }

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

    /// <summary>
    /// How many updates were skipped because the model's weights held NaN or infinity (exact: the warning is written at
    /// the 1st, 2nd, 4th, 8th, ... skip only, each time with this count).
    /// </summary>
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
    /// <remarks>
    /// The step rule: <paramref name="step"/> is at least 1 and greater than the step of the previous call (or than the
    /// step a checkpoint restored, <see cref="Load(IReadOnlyDictionary{string, Tensor}, long)"/>), and, for a schedule
    /// that reads the total (<c>exp</c>, <c>cosine</c>, any schedule of your own), at most <paramref name="totalSteps"/>.
    /// A step that breaks it changes nothing. The model's weights are checked first (<see cref="ModelEmaOptions.NonFinite"/>),
    /// and so is the model itself: a tensor replaced or disposed since the EMA was made is an error naming it, and so is
    /// one registered or removed since (found at the first update, and at every hand-out of the weights: validation,
    /// checkpoints, <see cref="EmaWeights"/>, <see cref="CopyToModel"/>; walking the module tree every update would cost
    /// as much as the update).
    /// </remarks>
    /// <param name="step">The step, counting from 1: the global index of this optimizer step.</param>
    /// <param name="totalSteps">The total number of steps (batches per epoch x max epochs).</param>
    /// <exception cref="ArgumentOutOfRangeException">The step breaks the step rule, or <paramref name="totalSteps"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">Called inside <see cref="UseEmaWeights"/>, or the model's tensors changed since the EMA was made.</exception>
    /// <exception cref="NonFiniteWeightsException">The model's weights hold NaN or infinity and the policy is <see cref="NonFinitePolicy.Throw"/>.</exception>
    public void Update(long step, long totalSteps)
    {
        ThrowIfUnusable(updating: true);
        ThrowIfWeightsInModel(
            "ModelEma.Update",
            inOwnScope: "the model holds the EMA weights, so the update would average the EMA with itself",
            inAnothersScope: "the update would average that EMA's weights instead of the model's");
        StepRule.Check("ModelEma.Update", step, _lastStep, totalSteps, _totalReader);

        if (step % Options.UpdateEvery != 0)
        {
            _lastStep = step;
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
            if (Options.NonFinite != NonFinitePolicy.Ignore && FindNonFiniteInModel() is { } found)
            {
                RefuseNonFinite(step, found.Name, found.Values);
                _lastStep = step;
                return;
            }

            UpdateGroups(step, decay);
        }

        LastDecay = decay;
        Step = step;
        _lastStep = step;
        SwitchIfDue(step);
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

    private void ReleaseTensors()
    {
        _ownership.Leave(this);
        foreach (TensorGroup group in _groups)
        {
            group.Dispose();
        }
    }

    /// <summary>
    /// The checks before every use: not disposed, the model has the very tensors the EMA was made from (none
    /// registered, removed, replaced or disposed since), and no load stopped part-way (except for a new load).
    /// </summary>
    /// <param name="loading">A load is about to replace the weights: a previous load that stopped part-way is no reason to refuse.</param>
    /// <param name="updating">
    /// The per-update path: the model's tensors are walked for registrations only at the first update (about 1 ms per
    /// 160 modules); every hand-out of the weights walks them.
    /// </param>
    private void ThrowIfUnusable(bool loading = false, bool updating = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_modelTensors.FindChange(full: !updating || !_structureChecked) is { } change)
        {
            throw new InvalidOperationException(change);
        }

        _structureChecked = true;

        if (!loading && _incompleteLoad is { } reason)
        {
            throw new InvalidOperationException($"The ModelEma cannot hand out or update its weights: {reason}. Load them again (Checkpoint.Resume or ModelEma.Load).");
        }
    }
}
