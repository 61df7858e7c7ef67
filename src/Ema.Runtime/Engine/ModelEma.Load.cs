using System.Globalization;
using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>Restoring the EMA from saved weights (<c>Checkpoint.Resume</c>, <see cref="Load(IReadOnlyDictionary{string, Tensor}, long)"/>): checked first, then written.</summary>
public sealed partial class ModelEma
{
    /// <summary>
    /// Restores the EMA from saved weights (a checkpoint's <c>ema_net</c>) and step. Every EMA tensor must be
    /// present with its shape; nothing is changed unless all are. Tensors left out by <see cref="ModelEmaOptions.Exclude"/>
    /// are the model's own: they are neither needed nor written (the model's weights come from <c>net</c>).
    /// </summary>
    /// <param name="weights">EMA weights by state-dict name.</param>
    /// <param name="step">The EMA step to continue from: the next <see cref="Update(long, long)"/> must pass a greater one.</param>
    /// <exception cref="ArgumentException">A tensor is missing or has another shape.</exception>
    /// <exception cref="NonFiniteWeightsException">A tensor holds NaN or infinity (unless <see cref="NonFinitePolicy.Ignore"/>), or a value the EMA's dtype cannot hold; nothing was changed.</exception>
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

            if (LoadRefuses(source, target) is { } found)
            {
                throw new NonFiniteWeightsException($"The EMA tensor '{name}' to load holds {found}: the EMA would hold it. Nothing was loaded.", step);
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
        ThrowIfUnusable(loading: true);
        ThrowIfWeightsInModel("ModelEma.Load", inOwnScope: "the model computes with the EMA weights being replaced");
    }

    /// <summary>
    /// Writes every EMA tensor through <paramref name="fill"/>. Until all are written and checked, the EMA refuses to
    /// hand out its values (<see cref="ThrowIfUnusable"/>): a fill that stops part-way (a read error, a non-finite
    /// tensor found only once streamed in) leaves it refusing until a load succeeds, never handing out a mix.
    /// </summary>
    private void Fill(Action<string, Tensor> fill, long step)
    {
        _incompleteLoad = "a load of its weights stopped part-way (an error was thrown), so they are a mix of the old and the new";
        using (no_grad())
        {
            foreach ((string name, Tensor target) in LoadTargets())
            {
                fill(name, target);
                if (LoadRefuses(target, target) is { } found)
                {
                    _incompleteLoad = $"the loaded tensor '{name}' holds {found}";
                    throw new NonFiniteWeightsException($"The EMA tensor '{name}' loaded holds {found}: the EMA refuses to hand out its weights until a load of finite weights succeeds.", step);
                }
            }
        }

        _incompleteLoad = null;
        Step = step;
        _lastStep = step;
    }

    /// <summary>What in <paramref name="source"/> the EMA tensor <paramref name="target"/> must not take (by the non-finite policy and the EMA's dtype), or null.</summary>
    private string? LoadRefuses(Tensor source, Tensor target)
    {
        if (Options.NonFinite == NonFinitePolicy.Ignore || !target.is_floating_point())
        {
            return null;
        }

        return NonFiniteProbe.FindNonFinite(source, FloatingDtypes.NarrowingLimit(source.dtype, target.dtype));
    }

    /// <summary>The step of the last accepted <see cref="Update(long, long)"/> call, or the step loaded: the next call's step must be greater (<see cref="StepRule"/>).</summary>
    internal long LastStep => _lastStep;
}
