using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Property;

/// <summary>
/// Runs one operation sequence against the real model, its EMAs, a twin and checkpoints, and against the plain
/// reference (<see cref="ReferenceModel"/>, <see cref="ReferenceEma"/>); checks every rule after every operation.
/// An operation that does not apply in the current state (no EMA left, no checkpoint yet) does nothing; one that the
/// rules forbid in the current state (a second scope, a save inside a scope) must be refused with nothing changed.
/// </summary>
internal sealed partial class EmaHarness : IDisposable
{
    private readonly string _directory;
    private readonly List<LiveEma> _emas = [];
    private readonly List<ModelEma> _disposed = [];
    private readonly List<SavedCheckpoint> _checkpoints = [];
    private readonly List<string> _log = [];
    private readonly string[]? _leftOut;
    private readonly HashSet<string> _excluded;
    private LinearBatchNorm _model;
    private ReferenceModel _raw;
    private (IDisposable Scope, LiveEma Owner)? _scope;
    private (TwinBinding Binding, LinearBatchNorm Module, LiveEma Owner)? _twin;

    public EmaHarness(int seed)
    {
        _directory = Path.Combine(Path.GetTempPath(), "ema-property-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _model = new LinearBatchNorm();
        _raw = new ReferenceModel();
        var random = new Random(seed);
        foreach ((string name, Tensor tensor) in _model.state_dict())
        {
            if (tensor.is_floating_point())
            {
                float[] values = Enumerable.Range(0, (int)tensor.numel()).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
                TensorValues.Write(tensor, values);
                _raw.Floating[name] = values;
            }
            else
            {
                _raw.Integer[name] = TensorValues.ReadLongs(tensor);
            }
        }

        _leftOut = EmaConfigurations.LeftOut(seed);
        Func<string, Tensor, bool> exclude = _leftOut is null ? (_, _) => false : EmaExclude.Names(_leftOut);
        _excluded = _model.state_dict().Where(p => exclude(p.Key, p.Value)).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        _log.Add(AddEma(seed));
        Verify();
    }

    /// <summary>What each operation did, for the failure report.</summary>
    public IReadOnlyList<string> Log => _log;

    /// <summary>Runs <paramref name="operation"/> and checks every rule afterwards.</summary>
    public void Apply(EmaOperation operation)
    {
        string what = operation.Kind switch
        {
            OperationKind.Train => Train(operation.Seed, poison: null),
            OperationKind.Diverge => Train(operation.Seed, poison: operation.Variant),
            OperationKind.Update => Update(operation.Which, operation.Variant + 1),
            OperationKind.InvalidUpdate => InvalidUpdate(operation.Which, operation.Variant, operation.Seed),
            OperationKind.EnterScope => EnterScope(operation.Which),
            OperationKind.ExitScope => ExitScope(),
            OperationKind.CopyToModel => CopyToModel(operation.Which),
            OperationKind.Save => Save(operation.Which, operation.Variant),
            OperationKind.LoadIntoModel => LoadIntoModel(),
            OperationKind.LoadIntoTwin => LoadIntoTwin(),
            OperationKind.ResumeFresh => ResumeFresh(),
            OperationKind.ResumeInPlace => ResumeInPlace(operation.Which),
            OperationKind.ToggleTwin => ToggleTwin(operation.Which),
            OperationKind.AddEma => AddEma(operation.Seed),
            OperationKind.DisposeEma => DisposeEma(operation.Which),
            OperationKind.UseDisposed => UseDisposed(operation.Variant, operation.Seed),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };
        _log.Add($"{operation}: {what}");
        Verify();
    }

    /// <summary>At the end of a sequence: every checkpoint it wrote still loads, and resumes, to what it held.</summary>
    public void CheckEveryCheckpoint()
    {
        foreach (SavedCheckpoint saved in _checkpoints)
        {
            CheckCheckpoint(saved);
        }
    }

    public void Dispose()
    {
        // Runs after a broken rule too, when the objects may be in any state: cleaning up must not hide the failure.
        Cleanup(() => _scope?.Scope.Dispose());
        Cleanup(() => _twin?.Binding.Dispose());
        Cleanup(() => _twin?.Module.Dispose());
        foreach (LiveEma live in _emas)
        {
            Cleanup(live.Ema.Dispose);
        }

        Cleanup(_model.Dispose);
        Cleanup(() => Directory.Delete(_directory, recursive: true));
    }

    private static void Cleanup(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or IOException or UnauthorizedAccessException)
        {
            // Left for the garbage collector (or the temporary folder's owner).
        }
    }

    private LiveEma? Pick(int which) => _emas.Count == 0 ? null : _emas[which % _emas.Count];

    private string Name(LiveEma live) => $"ema {_emas.IndexOf(live)} [{live.Description}]";

    /// <summary>A training step; <paramref name="poison"/> 0, 1, 2 makes one weight NaN, +Inf, -Inf.</summary>
    private string Train(int seed, int? poison)
    {
        if (_scope is not null)
        {
            // Stepping an optimizer inside the scope trains the EMA weights: EMA0009 warns about that misuse; not driven here.
            return "not inside a scope";
        }

        var random = new Random(seed);
        Dictionary<string, Tensor> state = _model.state_dict();
        foreach ((string name, float[] old) in _raw.Floating)
        {
            float[] values = old.Select(v => float.IsFinite(v) ? v + (float)(0.1 * Gaussian(random)) : (float)Gaussian(random)).ToArray();
            _raw.Floating[name] = values;
        }

        string poisoned = "";
        if (poison is { } variant)
        {
            string name = _raw.Floating.Keys.ElementAt(random.Next(_raw.Floating.Count));
            float[] values = _raw.Floating[name];
            int index = random.Next(values.Length);
            values[index] = variant switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity };
            poisoned = $", '{name}'[{index}] = {values[index]}";
        }

        foreach ((string name, float[] values) in _raw.Floating)
        {
            TensorValues.Write(state[name], values);
        }

        foreach ((string name, long[] values) in _raw.Integer)
        {
            values[0] += 1;
            TensorValues.Write(state[name], values);
        }

        return "trained" + poisoned;
    }

    private string Update(int which, int advance)
    {
        if (Pick(which) is not { } live)
        {
            return "no EMA";
        }

        ReferenceEma reference = live.Reference;
        long step = reference.LastSeenStep + advance;
        if (step > reference.TotalSteps)
        {
            return $"step {step}: past the total of {reference.TotalSteps}, the run is over";
        }

        if (_scope is not null)
        {
            ExpectRefused($"Update({step}, {reference.TotalSteps}) of {Name(live)} inside a scope", () => live.Ema.Update(step, reference.TotalSteps), typeof(InvalidOperationException));
            return "refused inside a scope";
        }

        if (step % reference.Options.UpdateEvery != 0)
        {
            live.Ema.Update(step, reference.TotalSteps);
            reference.LastSeenStep = step;
            return $"step {step}: not a multiple of UpdateEvery, no work";
        }

        if (_raw.HasNonFinite && reference.Options.NonFinite != NonFinitePolicy.Ignore)
        {
            if (reference.Options.NonFinite == NonFinitePolicy.Throw)
            {
                ExpectRefused($"Update({step}) of {Name(live)} with a non-finite model", () => live.Ema.Update(step, reference.TotalSteps), typeof(NonFiniteWeightsException));
                reference.LastSeenStep = step;
                return $"step {step}: refused, the model is not finite";
            }

            live.Ema.Update(step, reference.TotalSteps);
            reference.LastSeenStep = step;
            reference.SkippedUpdates++;
            return $"step {step}: skipped, the model is not finite";
        }

        double decay = reference.DecayAt(step);
        live.Ema.Update(step, reference.TotalSteps);
        reference.Lerp(_raw, decay, step);
        reference.LastSeenStep = step;
        return $"step {step}, decay {decay:R}";
    }

    private string InvalidUpdate(int which, int variant, int seed)
    {
        if (Pick(which) is not { } live)
        {
            return "no EMA";
        }

        ReferenceEma reference = live.Reference;
        long total = reference.TotalSteps;

        // Steps that would do work (multiples of UpdateEvery), so the refusal cannot hinge on whether the rule is
        // checked before or after UpdateEvery's early return.
        long every = reference.Options.UpdateEvery;
        long NextMultipleAbove(long value) => ((value / every) + 1) * every;
        long backMultiples = (reference.Step - 1) / every;
        (long Step, long Total)? call = variant switch
        {
            0 => (0, total),
            1 => (-every * (1 + (seed % 5)), total),
            2 => reference.Step >= 1 ? (reference.Step, total) : null,
            3 => backMultiples >= 1 ? (every * (1 + (seed % backMultiples)), total) : null,
            4 => reference.Parameters is ExpEmaParams ? (NextMultipleAbove(Math.Max(total, reference.LastSeenStep) + (seed % 10)), total) : null,
            _ => (NextMultipleAbove(reference.LastSeenStep), 0),
        };
        if (call is not { } c)
        {
            return "does not apply (no step yet, or the schedule does not read the total)";
        }

        ExpectRefused($"Update({c.Step}, {c.Total}) of {Name(live)} ({EmaOperation.InvalidStepNames[variant]}; last step {reference.Step})",
            () => live.Ema.Update(c.Step, c.Total), typeof(ArgumentException), typeof(InvalidOperationException));
        return $"Update({c.Step}, {c.Total}) refused";
    }

    private string EnterScope(int which)
    {
        if (Pick(which) is not { } live)
        {
            return "no EMA";
        }

        if (_scope is { } active)
        {
            ExpectRefused($"UseEmaWeights of {Name(live)} inside the scope of {Name(active.Owner)}", () => live.Ema.UseEmaWeights(), typeof(InvalidOperationException));
            return "nested scope refused";
        }

        _scope = (live.Ema.UseEmaWeights(), live);
        if (!live.Ema.IsEmaInModel)
        {
            throw new PropertyFailure("scope", $"IsEmaInModel is false inside the scope of {Name(live)}.");
        }

        return "entered";
    }

    private string ExitScope()
    {
        if (_scope is not { } active)
        {
            return "no scope";
        }

        active.Scope.Dispose();
        _scope = null;
        active.Scope.Dispose(); // a second Dispose is harmless
        return "exited";
    }

    private string CopyToModel(int which)
    {
        if (Pick(which) is not { } live)
        {
            return "no EMA";
        }

        if (_scope is not null)
        {
            ExpectRefused($"CopyToModel of {Name(live)} inside a scope", live.Ema.CopyToModel, typeof(InvalidOperationException));
            return "refused inside a scope";
        }

        Dictionary<string, double[]> ema = TensorValues.ReadAll(live.Ema.EmaWeights);
        live.Ema.CopyToModel();
        _raw = InferenceValues(ema);
        return "copied";
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
