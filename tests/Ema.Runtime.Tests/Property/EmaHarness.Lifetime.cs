namespace Ema.Runtime.Tests.Property;

/// <summary>The operations that make and end things: EMAs, twins, and calls on disposed EMAs.</summary>
internal sealed partial class EmaHarness
{
    private const int MaxLiveEmas = 3;

    private string AddEma(int seed)
    {
        if (_emas.Count >= MaxLiveEmas)
        {
            return $"{MaxLiveEmas} EMAs live already";
        }

        var warnings = new List<string>();
        (EmaParams parameters, ModelEmaOptions options, SwapMethod swap, string description) = EmaConfigurations.Make(seed, warnings, _leftOut);
        if (_scope is { } active)
        {
            // What the model holds now (that EMA's weights, NaN included under Ignore) may be refused first.
            Type[] refusals = options.NonFinite != NonFinitePolicy.Ignore
                ? [typeof(InvalidOperationException), typeof(ArgumentException), typeof(NonFiniteWeightsException)]
                : [typeof(InvalidOperationException)];
            ExpectRefused($"new ModelEma [{description}] inside the scope of {Name(active.Owner)}", () => MakeEma(parameters, options, swap).Dispose(), refusals);
            return "refused inside a scope";
        }

        if (_raw.HasNonFinite && options.NonFinite != NonFinitePolicy.Ignore)
        {
            // It would start from NaN or infinity, which its policy keeps out of the EMA.
            ExpectRefused($"new ModelEma [{description}] of a model whose weights are not finite", () => MakeEma(parameters, options, swap).Dispose(),
                typeof(ArgumentException), typeof(InvalidOperationException), typeof(NonFiniteWeightsException));
            return "refused: the model is not finite";
        }

        ModelEma ema = MakeEma(parameters, options, swap);
        _emas.Add(new LiveEma(ema, new ReferenceEma(parameters, options, EmaConfigurations.TotalSteps, _raw), warnings, description));
        return $"made ema {_emas.Count - 1} [{description}]";
    }

    private ModelEma MakeEma(EmaParams parameters, ModelEmaOptions options, SwapMethod swap)
    {
        using (SwapCost.Force(swap))
        {
            return new ModelEma(_model, parameters, options);
        }
    }

    private string DisposeEma(int which)
    {
        if (Pick(which) is not { } live)
        {
            return "no EMA";
        }

        string name = Name(live);
        Dictionary<string, double[]> emaBefore = TensorValues.ReadAll(live.Ema.EmaWeights);
        live.Ema.Dispose();
        live.Ema.Dispose(); // a second Dispose is harmless
        _emas.Remove(live);
        _disposed.Add(live.Ema);
        if (_scope is { } active && active.Owner == live)
        {
            _scope = null;
            active.Scope.Dispose(); // disposing the scope of a disposed EMA is harmless
        }

        if (_twin is { } twin && twin.Owner == live)
        {
            // Unbound by the EMA's disposal: the twin keeps a copy of what it viewed.
            if (twin.Binding.IsBound)
            {
                throw new PropertyFailure("twin", $"the twin is still bound after its EMA ({name}) was disposed.");
            }

            ExpectSame(emaBefore, TensorValues.ReadAll(twin.Module.state_dict()), $"the twin unbound by disposing {name}");
            twin.Module.Dispose();
            _twin = null;
        }

        return $"disposed {name}";
    }

    private string ToggleTwin(int which)
    {
        if (_twin is { } twin)
        {
            Dictionary<string, double[]> emaBefore = TensorValues.ReadAll(twin.Owner.Ema.EmaWeights);
            twin.Binding.Dispose();
            _twin = null;
            ExpectSame(emaBefore, TensorValues.ReadAll(twin.Module.state_dict()), "the twin after unbinding");
            twin.Module.Dispose();
            return "unbound";
        }

        if (Pick(which) is not { } live)
        {
            return "no EMA";
        }

        var module = new LinearBatchNorm();
        if (_scope is { } active && active.Owner == live)
        {
            // Its EMA values may sit in the model's buffer (a group swapped by exchange). Another EMA's scope leaves
            // this EMA's buffer alone, so binding to this one then is allowed.
            ExpectRefused($"BindTwin to {Name(live)} inside its scope", () => live.Ema.BindTwin(module), typeof(InvalidOperationException));
            module.Dispose();
            return "refused inside a scope";
        }

        if (live.Reference.Options.FloatingDtype is { } dtype && _excluded.Count > 0)
        {
            // A left-out tensor stays in the model's dtype: a twin moved to the EMA's cannot view it (documented).
            Dictionary<string, double[]> moduleBefore = TensorValues.ReadAll(module.state_dict());
            ExpectRefused($"BindTwin to {Name(live)}, a {dtype} EMA that leaves tensors out", () => live.Ema.BindTwin(module), typeof(ArgumentException));
            string? changed = module.state_dict()
                .Where(p => p.Value.is_floating_point() && p.Value.dtype != TorchSharp.torch.ScalarType.Float32)
                .Select(p => $"'{p.Key}' is now {p.Value.dtype}").FirstOrDefault()
                ?? TensorValues.FirstDifference(moduleBefore, TensorValues.ReadAll(module.state_dict()));
            module.Dispose();
            if (changed is not null)
            {
                throw new PropertyFailure("refused", $"the refused BindTwin changed the module it was given: {changed} (a refusal must leave its arguments as they were).");
            }

            return "refused: the EMA's dtype differs and tensors are left out";
        }

        _twin = (live.Ema.BindTwin(module), module, live);
        return $"bound to {Name(live)}";
    }

    private string UseDisposed(int member, int seed)
    {
        if (_disposed.Count == 0)
        {
            return "no disposed EMA";
        }

        ModelEma ema = _disposed[seed % _disposed.Count];
        using var module = new LinearBatchNorm();
        Action call = member switch
        {
            0 => () => ema.Update(1, EmaConfigurations.TotalSteps),
            1 => () => ema.UseEmaWeights(),
            2 => ema.CopyToModel,
            3 => () => _ = ema.EmaWeights,
            4 => () => ema.BindTwin(module),
            _ => () => ema.Load(new Dictionary<string, TorchSharp.torch.Tensor>(), 1),
        };
        ExpectRefused($"{EmaOperation.DisposedMembers[member]} of a disposed EMA", call, typeof(ObjectDisposedException));
        return "refused";
    }
}
