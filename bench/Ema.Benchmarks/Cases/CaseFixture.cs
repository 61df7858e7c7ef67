using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Benchmarks.Cases;

/// <summary>
/// Everything one case measures, built once: the model and its <see cref="ModelEma"/>, a separate per-tensor EMA
/// for the hand-written loops, and two flat tensors for the memory-bandwidth floor.
/// </summary>
internal sealed class CaseFixture : IDisposable
{
    public const double LoopDecay = 0.999;
    public const long TotalSteps = 1_000_000;

    private readonly Tensor[] _modelTensors;   // the model's own floating tensors (not ours to dispose)
    private readonly Tensor[] _loopEma;        // the per-tensor loops' EMA, one tensor per model tensor
    private readonly Tensor _lerpWeight;       // 1 - decay, 0-dim, preallocated as a careful per-tensor loop would
    private readonly Tensor _floorAcc;         // floor: acc += other over as many values as the EMA has
    private readonly Tensor _floorOther;
    private readonly Tensor _checkInput; // as large as the update's model buffer, in the model's dtype
    private readonly NonFiniteProbe _checkProbe; // the engine's own check, over _checkInput
    private long _step;

    /// <param name="model">The case's model, made by <see cref="MakeModel"/>; the caller disposes it.</param>
    public CaseFixture(CaseDefinition definition, ShapeModule model, EmaParams parameters)
    {
        Definition = definition;
        Model = model;
        Ema = new ModelEma(Model, parameters, new ModelEmaOptions { FloatingDtype = definition.EmaDtype, NonFinite = definition.NonFinite });

        // After ModelEma re-pointed them, the model's tensors are views of one flat buffer; the objects are the same.
        _modelTensors = Model.state_dict().Values.Where(t => t.is_floating_point()).ToArray();
        ScalarType emaDtype = definition.EffectiveEmaDtype;
        _loopEma = _modelTensors.Select(t => t.to_type(emaDtype, copy: true)).ToArray();
        _lerpWeight = zeros(Array.Empty<long>(), emaDtype);
        long values = definition.FloatingValues;
        _floorAcc = zeros(values, emaDtype);
        // Same dtype on both sides: libtorch's mixed-dtype add_ runs a slow casting loop and would be no floor.
        _floorOther = ones(values, emaDtype);
        _checkInput = ones(values, definition.ModelDtype);
        _checkProbe = new NonFiniteProbe(_checkInput);
    }

    public CaseDefinition Definition { get; }

    /// <summary>
    /// The model is made apart from the fixture so that leak checks can start after it: TorchSharp counts the
    /// tensor handed to nn.Parameter as live for ever (its handle moves into the Parameter), which is no leak of ours.
    /// </summary>
    public static ShapeModule MakeModel(CaseDefinition definition)
    {
        using var generator = new Generator(1234);
        return new ShapeModule(definition.Specs, definition.ModelDtype, generator);
    }

    public ShapeModule Model { get; }

    public ModelEma Ema { get; }

    public IReadOnlyList<Tensor> LoopEma => _loopEma;

    /// <summary>Bytes of the model's floating tensors.</summary>
    public long ModelFloatingBytes => _modelTensors.Sum(t => t.numel() * t.element_size());

    public void Update() => Ema.Update(++_step, TotalSteps);

    /// <summary>The textbook per-tensor form, <c>ema.mul_(d).add_(p, alpha: 1 - d)</c>, with its Scalars made once per update.</summary>
    public void MulAddLoop(double decay = LoopDecay)
    {
        using var noGrad = no_grad();
        using Scalar d = decay.ToScalar();
        using Scalar alpha = (1.0 - decay).ToScalar();
        for (int i = 0; i < _loopEma.Length; i++)
        {
            _loopEma[i].mul_(d).add_(_modelTensors[i], alpha);
        }
    }

    /// <summary>
    /// Per-tensor <c>lerp_</c> with a preallocated 0-dim weight. lerp_ needs one dtype, so where the EMA's differs
    /// from the model's each model tensor is converted first (a temporary per tensor, as such a loop would do).
    /// </summary>
    public void LerpLoop(double decay = LoopDecay)
    {
        using var noGrad = no_grad();
        using (Scalar w = (1.0 - decay).ToScalar())
        {
            _lerpWeight.fill_(w);
        }

        bool sameDtype = Definition.EmaDtype is null || Definition.EmaDtype == Definition.ModelDtype;
        for (int i = 0; i < _loopEma.Length; i++)
        {
            if (sameDtype)
            {
                _loopEma[i].lerp_(_modelTensors[i], _lerpWeight);
            }
            else
            {
                using Tensor converted = _modelTensors[i].to_type(_loopEma[i].dtype);
                _loopEma[i].lerp_(converted, _lerpWeight);
            }
        }
    }

    /// <summary>
    /// The floor: one add_ over flat tensors of the EMA's dtype and size, 12 bytes per float32 value (read two,
    /// write one). For a bf16 model the update itself needs only 10 (it reads 2-byte model values).
    /// </summary>
    public void Floor()
    {
        using var noGrad = no_grad();
        _floorAcc.add_(_floorOther);
    }

    /// <summary>Moves the model's floating weights away from the EMA, as an optimizer step would.</summary>
    public void PerturbModel(int seed)
    {
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (Tensor t in _modelTensors)
        {
            using Tensor noise = randn(t.shape, ScalarType.Float32, generator: generator);
            t.add_(noise);
        }
    }

    /// <summary>
    /// What Update's default non-finite check (NonFinitePolicy.Skip) costs alone: the engine's NonFiniteProbe over a
    /// flat tensor of the update's size in the model's dtype (a second read of the model).
    /// </summary>
    public void NonFiniteCheck()
    {
        using var noGrad = no_grad();
        _ = _checkProbe.HasNonFinite();
    }

    /// <summary>Makes the loops' EMA equal to the engine's, so both can be compared after the same updates.</summary>
    public void SyncLoopEmaFromEngine()
    {
        using var noGrad = no_grad();
        var byName = Ema.EmaWeights;
        int i = 0;
        foreach ((string name, Tensor tensor) in Model.state_dict())
        {
            if (tensor.is_floating_point())
            {
                _loopEma[i++].copy_(byName[name]);
            }
        }
    }

    public void Dispose()
    {
        Ema.Dispose();
        foreach (Tensor t in _loopEma)
        {
            t.Dispose();
        }

        _lerpWeight.Dispose();
        _floorAcc.Dispose();
        _floorOther.Dispose();
        _checkInput.Dispose();
        _checkProbe.Dispose();
    }
}
