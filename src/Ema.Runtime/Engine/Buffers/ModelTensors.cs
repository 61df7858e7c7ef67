using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// The model's state-dict tensors as they were when the EMA was made. The EMA asks <see cref="FindChange"/> whether the
/// model still has exactly those tensor objects: a tensor registered since would be left out of the EMA (and its
/// checkpoint would not load into the model), a removed or replaced one (<c>module.to(...)</c> replaces them all) would
/// be averaged stale, and a disposed one cannot be read at all.
/// </summary>
/// <remarks>
/// Walking the module tree (<c>state_dict()</c>) costs about 1 ms for 160 modules in TorchSharp 0.107, as much as a
/// whole update of ResNet-50: so every update runs the cheap half (are the known tensor
/// objects still alive), and the walk runs at the first update and at every hand-out of the weights (validation,
/// checkpoints, <see cref="ModelEma.EmaWeights"/>, <see cref="ModelEma.CopyToModel"/>).
/// </remarks>
internal sealed class ModelTensors
{
    private readonly nn.Module _model;
    private readonly Dictionary<string, Tensor> _byName;
    private readonly Tensor[] _tensors;   // the same tensors in an array: the per-update scan stays a plain loop
    private readonly string[] _names;

    public ModelTensors(nn.Module model)
    {
        _model = model;
        _byName = model.state_dict().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        _tensors = _byName.Values.ToArray();
        _names = _byName.Keys.ToArray();
    }

    /// <summary>
    /// What changed, as the message of an <see cref="InvalidOperationException"/> that names the tensor, or null when the
    /// model has the same tensor objects under the same names.
    /// </summary>
    /// <param name="full">Also walk the module tree for tensors registered, removed or replaced since (no tensor is made).</param>
    public string? FindChange(bool full)
    {
        string? invalid = null;
        for (int i = 0; i < _tensors.Length; i++)
        {
            if (_tensors[i].IsInvalid)
            {
                invalid = _names[i];
                break;
            }
        }

        if (invalid is null && !full)
        {
            return null;
        }

        Dictionary<string, Tensor>? now = StateDictOrNull();
        if (invalid is not null)
        {
            // module.to(...) disposes the old objects and registers new ones; a disposed model (or tensor) has none.
            bool replaced = now is not null && now.TryGetValue(invalid, out Tensor? current) && !current.IsInvalid;
            return replaced
                ? $"The model's tensor '{invalid}' was replaced or disposed after the ModelEma was made (module.to(device or dtype) does that). " +
                  "The EMA would average stale tensors: make the ModelEma after moving the model, or make a new one now."
                : $"The model's tensor '{invalid}' was disposed after the ModelEma was made (the model was disposed, or this tensor): " +
                  "there is nothing left to average or to swap. Dispose the ModelEma before or with its model.";
        }

        if (now is null)
        {
            return "The model was disposed after the ModelEma was made: there is nothing left to average or to swap. Dispose the ModelEma before or with its model.";
        }

        foreach ((string name, Tensor tensor) in now)
        {
            if (!_byName.TryGetValue(name, out Tensor? known))
            {
                return $"The model's tensor '{name}' was registered after the ModelEma was made: the EMA does not average it, and a checkpoint of this EMA " +
                    "would not load into the model. Make the ModelEma once the model has all its parameters and buffers (or make a new one now).";
            }

            if (!ReferenceEquals(known, tensor))
            {
                return $"The model's tensor '{name}' was replaced by another tensor after the ModelEma was made (registered again under its name): " +
                    "the EMA would average the old one. Make the ModelEma once the model is complete (or make a new one now).";
            }
        }

        if (now.Count != _byName.Count)
        {
            string removed = _byName.Keys.First(name => !now.ContainsKey(name));
            return $"The model's tensor '{removed}' was removed from the model after the ModelEma was made: the EMA still holds it, and a checkpoint of " +
                "this EMA would not load into the model. Make the ModelEma once the model is complete (or make a new one now).";
        }

        return null;
    }

    private Dictionary<string, Tensor>? StateDictOrNull()
    {
        try
        {
            return _model.state_dict();
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }
}
