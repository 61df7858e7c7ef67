using TorchSharp;

namespace Ema.Runtime.Tests.Property;

/// <summary>The checkpoint operations: save (then load and resume into fresh objects), load, resume.</summary>
internal sealed partial class EmaHarness
{
    private string Save(int which, int variant)
    {
        LiveEma? live = which == 0 ? null : Pick(which - 1);
        string path = Path.Combine(_directory, $"ckpt{_checkpoints.Count}_{_log.Count}{(variant == 0 ? ".safetensors" : ".pth")}");
        if (_scope is not null)
        {
            ExpectRefused($"Checkpoint.Save({Path.GetFileName(path)}) inside a scope", () => Checkpoint.Save(path, _model, live?.Ema), typeof(InvalidOperationException));
            if (File.Exists(path))
            {
                throw new PropertyFailure("save", $"the refused Save inside a scope wrote {path}.");
            }

            return "refused inside a scope";
        }

        if (live is not null && live.Reference.Options.NonFinite != NonFinitePolicy.Ignore && _excluded.Any(n => _raw.Floating.TryGetValue(n, out float[]? v) && v.Any(x => !float.IsFinite(x))))
        {
            // Its left-out tensors are the model's, handed out as the EMA's: a non-finite one must not reach ema_net.
            ExpectRefused($"Checkpoint.Save({Path.GetFileName(path)}) of {Name(live)}, whose left-out tensors are not finite",
                () => Checkpoint.Save(path, _model, live.Ema), typeof(NonFiniteWeightsException), typeof(InvalidOperationException));
            if (File.Exists(path))
            {
                throw new PropertyFailure("save", $"the refused Save wrote {path}.");
            }

            return "refused: a left-out tensor is not finite";
        }

        Checkpoint.Save(path, _model, live?.Ema);
        var saved = new SavedCheckpoint
        {
            Path = path,
            Raw = _raw.Clone(),
            EmaValues = live is null ? null : TensorValues.ReadAll(live.Ema.EmaWeights),
            Reference = live?.Reference.CloneState(NewReference(live.Reference)),
        };
        _checkpoints.Add(saved);
        CheckCheckpoint(saved);
        return $"{Path.GetFileName(path)} with {(live is null ? "no EMA" : Name(live))}, loaded and resumed into fresh objects";
    }

    private string LoadIntoModel()
    {
        if (_checkpoints.Count == 0)
        {
            return "no checkpoint";
        }

        SavedCheckpoint saved = _checkpoints[^1];
        if (_scope is not null)
        {
            ExpectRefused($"LoadForInference({Path.GetFileName(saved.Path)}) into the model inside a scope",
                () => Checkpoint.LoadForInference(_model, saved.Path), typeof(InvalidOperationException), typeof(CheckpointException));
            return "refused inside a scope";
        }

        string section = Checkpoint.LoadForInference(_model, saved.Path);
        ExpectSection(saved, section);
        _raw = InferenceValues(saved);
        return $"{Path.GetFileName(saved.Path)}: {section}";
    }

    private string LoadIntoTwin()
    {
        if (_checkpoints.Count == 0 || _twin is not { } twin)
        {
            return "no checkpoint or no twin";
        }

        SavedCheckpoint saved = _checkpoints[^1];
        ExpectRefused($"LoadForInference({Path.GetFileName(saved.Path)}) into the twin bound to {Name(twin.Owner)} (it would write into the EMA)",
            () => Checkpoint.LoadForInference(twin.Module, saved.Path), typeof(InvalidOperationException), typeof(CheckpointException));
        return "refused";
    }

    /// <summary>Resumes the latest checkpoint with an EMA into a fresh model and EMA, then carries on with those alone.</summary>
    private string ResumeFresh()
    {
        if (_checkpoints.LastOrDefault(c => c.Reference is not null) is not { } saved)
        {
            return "no checkpoint with an EMA";
        }

        (LinearBatchNorm model, LiveEma live) = ResumeIntoFresh(saved);

        // Carry on with the resumed pair: everything made before goes.
        if (_scope is { } active)
        {
            active.Scope.Dispose();
            _scope = null;
        }

        if (_twin is { } twin)
        {
            twin.Binding.Dispose();
            twin.Module.Dispose();
            _twin = null;
        }

        foreach (LiveEma old in _emas)
        {
            old.Ema.Dispose();
            _disposed.Add(old.Ema);
        }

        _emas.Clear();
        _model.Dispose();
        _model = model;
        _raw = saved.Raw.Clone();
        _emas.Add(live);
        return $"{Path.GetFileName(saved.Path)} resumed into a fresh model and {Name(live)}; carrying on with them";
    }

    /// <summary>Resumes the latest checkpoint whose EMA has the same dtype into the live model and one of its EMAs.</summary>
    private string ResumeInPlace(int which)
    {
        if (Pick(which) is not { } live)
        {
            return "no EMA";
        }

        if (_checkpoints.LastOrDefault(c => c.Reference is { } r && r.Options.FloatingDtype == live.Reference.Options.FloatingDtype) is not { } saved)
        {
            return "no checkpoint with an EMA of this dtype";
        }

        string file = Path.GetFileName(saved.Path);
        if (_scope is not null)
        {
            ExpectRefused($"Checkpoint.Resume({file}) into the model and {Name(live)} inside a scope",
                () => Checkpoint.Resume(saved.Path, _model, live.Ema, null), typeof(InvalidOperationException), typeof(CheckpointException));
            return "refused inside a scope";
        }

        if (saved.Reference!.Options.UpdateEvery != live.Reference.Options.UpdateEvery)
        {
            // The checkpoint stores its cadence; resuming into an EMA of another would mix two trajectories.
            ExpectRefused($"Checkpoint.Resume({file}) (every {saved.Reference.Options.UpdateEvery}) into {Name(live)}",
                () => Checkpoint.Resume(saved.Path, _model, live.Ema, null), typeof(CheckpointException));
            return "refused: another update cadence";
        }

        bool poisoned = saved.EmaValues!.Any(p => !_excluded.Contains(p.Key) && p.Value.Any(x => !double.IsFinite(x)));
        if (poisoned && live.Reference.Options.NonFinite != NonFinitePolicy.Ignore)
        {
            // Resume streams ema_net straight into the EMA, so a NaN is found only once written: the EMA then refuses to
            // hand out or update its weights until a load succeeds (NonFiniteTrustTests). Not driven here.
            return "not driven: the checkpoint's EMA is not finite and this EMA's policy keeps NaN out";
        }

        Checkpoint.Resume(saved.Path, _model, live.Ema, null);
        _raw = saved.Raw.Clone();
        ReferenceEma reference = saved.Reference!.CloneState(NewReference(live.Reference));
        reference.SkippedUpdates = live.Reference.SkippedUpdates;
        live.Reference = reference;
        return $"{file} resumed into the model and {Name(live)}";
    }

    /// <summary>A saved checkpoint loads for inference to what it holds, tells its info, and resumes into a fresh model and EMA.</summary>
    private void CheckCheckpoint(SavedCheckpoint saved)
    {
        string file = Path.GetFileName(saved.Path);
        using (var fresh = new LinearBatchNorm())
        {
            string section = Checkpoint.LoadForInference(fresh, saved.Path);
            ExpectSection(saved, section);
            ExpectModel(fresh, InferenceValues(saved), $"a fresh model after LoadForInference({file})");
        }

        CheckpointInfo info = Checkpoint.ReadInfo(saved.Path);
        if (info.HasEma != saved.Reference is not null || (saved.Reference is not null && info.EmaStep != saved.Reference.Step))
        {
            throw new PropertyFailure("checkpoint", $"ReadInfo({file}) says HasEma {info.HasEma}, EmaStep {info.EmaStep}; expected {saved.Reference is not null}, {saved.Reference?.Step}.");
        }

        if (saved.Reference is null)
        {
            return;
        }

        (LinearBatchNorm model, LiveEma live) = ResumeIntoFresh(saved);
        live.Ema.Dispose();
        model.Dispose();
    }

    private (LinearBatchNorm Model, LiveEma Live) ResumeIntoFresh(SavedCheckpoint saved)
    {
        string file = Path.GetFileName(saved.Path);
        var model = new LinearBatchNorm();
        var warnings = new List<string>();
        ReferenceEma original = saved.Reference!;
        ModelEmaOptions options = original.Options with { Logger = new ListLogger(warnings) };
        var ema = new ModelEma(model, original.Parameters, options);
        Checkpoint.Resume(saved.Path, model, ema, null);
        ExpectModel(model, saved.Raw, $"a fresh model after Resume({file})");
        string? difference = TensorValues.FirstDifference(saved.EmaValues!, TensorValues.ReadAll(ema.EmaWeights));
        if (difference is not null || ema.Step != original.Step)
        {
            throw new PropertyFailure("checkpoint", $"a fresh EMA after Resume({file}): step {ema.Step} (expected {original.Step}); {difference ?? "weights equal"}.");
        }

        ReferenceEma reference = original.CloneState(new ReferenceEma(original.Parameters, options, original.TotalSteps, saved.Raw));
        return (model, new LiveEma(ema, reference, warnings, "resumed " + string.Join(", ", original.Parameters.DecayType, options.FloatingDtype?.ToString() ?? "model dtype", $"every {options.UpdateEvery}", options.NonFinite)));
    }

    private void ExpectSection(SavedCheckpoint saved, string section)
    {
        string expected = saved.EmaValues is null ? "net" : "ema_net";
        if (section != expected)
        {
            throw new PropertyFailure("checkpoint", $"LoadForInference({Path.GetFileName(saved.Path)}) used '{section}'; expected '{expected}'.");
        }
    }

    /// <summary>What a model holds after loading <paramref name="saved"/> for inference: its EMA in the model's dtype, or its raw weights.</summary>
    private ReferenceModel InferenceValues(SavedCheckpoint saved) => saved.EmaValues is null ? saved.Raw.Clone() : InferenceValues(saved.EmaValues);

    private ReferenceModel InferenceValues(Dictionary<string, double[]> ema)
    {
        var values = new ReferenceModel();
        foreach (string name in _raw.Floating.Keys)
        {
            values.Floating[name] = ema[name].Select(v => (float)v).ToArray();
        }

        foreach (string name in _raw.Integer.Keys)
        {
            values.Integer[name] = ema[name].Select(v => (long)v).ToArray();
        }

        return values;
    }

    private static ReferenceEma NewReference(ReferenceEma like) => new(like.Parameters, like.Options, like.TotalSteps, new ReferenceModel());

    private static void ExpectModel(torch.nn.Module model, ReferenceModel expected, string what)
    {
        foreach ((string name, torch.Tensor tensor) in model.state_dict())
        {
            if (expected.Floating.TryGetValue(name, out float[]? floats))
            {
                float[] actual = TensorValues.ReadFloats(tensor);
                int index = Enumerable.Range(0, floats.Length).FirstOrDefault(i => !TensorValues.SameBits(floats[i], actual[i]), -1);
                if (index >= 0)
                {
                    throw new PropertyFailure("raw weights", $"{what}: '{name}'[{index}] is {actual[index]:R}, expected {floats[index]:R} bit for bit.");
                }
            }
            else if (expected.Integer.TryGetValue(name, out long[]? longs))
            {
                if (!longs.SequenceEqual(TensorValues.ReadLongs(tensor)))
                {
                    throw new PropertyFailure("raw weights", $"{what}: '{name}' is [{string.Join(", ", TensorValues.ReadLongs(tensor))}], expected [{string.Join(", ", longs)}].");
                }
            }
            else
            {
                throw new PropertyFailure("raw weights", $"{what}: unexpected tensor '{name}'.");
            }
        }
    }
}
