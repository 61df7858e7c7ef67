using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>The EMA as a module of its own (twin binding), and the tensors left out of it (exclusion).</summary>
public sealed partial class ModelEma
{
    /// <summary>
    /// Points <paramref name="twin"/>, another instance of the model's architecture, at the EMA's weights, so it
    /// computes with them beside the training model (the teacher of mean teacher, BYOL, DINO), with no copy: every
    /// <see cref="Update(long, long)"/> is seen by the twin's next forward.
    /// </summary>
    /// <remarks>
    /// <para>Floating parameters and buffers become views of the EMA's buffer; integer buffers view the EMA's copies
    /// (refreshed at each update); tensors left out by <see cref="ModelEmaOptions.Exclude"/> view the model's own.
    /// The twin's own weights are released, its parameters stop requiring grad, and it is put in eval mode (in
    /// train mode BatchNorm would write batch statistics into the EMA). Where the EMA has another device or
    /// floating dtype than the model (<see cref="ModelEmaOptions"/>), the twin is moved there first.</para>
    /// <para>Never train the twin: an <see cref="Update(long, long)"/> after its parameters require grad again throws. Disposing
    /// the binding, or this <see cref="ModelEma"/>, unbinds it: each twin tensor gets its own copy of its current
    /// values. <see cref="UseEmaWeights"/> may be used while a twin is bound.</para>
    /// </remarks>
    /// <param name="twin">A second instance of the model's class, with the same state-dict names and shapes, and the model's or the EMA's dtypes.</param>
    /// <returns>The binding; dispose it to unbind.</returns>
    /// <exception cref="ArgumentException">The twin's state dict differs from the model's (the message names the first difference), or it is the model itself.</exception>
    /// <exception cref="InvalidOperationException">The twin is already bound to a live <see cref="ModelEma"/>, the call is inside <see cref="UseEmaWeights"/>, or the model's parameters were replaced.</exception>
    public TwinBinding BindTwin(nn.Module twin)
    {
        ArgumentNullException.ThrowIfNull(twin);
        ThrowIfUnusable();
        // Inside the scope the EMA's values may sit in the model's buffer (a group that swaps by exchanging values):
        // a twin bound now would view the model's weights once the scope ends.
        ThrowIfWeightsInModel("ModelEma.BindTwin", inOwnScope: "a twin bound now would view the model's weights once the scope ends; bind it before or after the scope");

        Dictionary<string, Tensor> twinTensors = twin.state_dict();
        var targets = TwinTargets();
        if (targets.Any(t => twinTensors.TryGetValue(t.Name, out Tensor? tensor) && ReferenceEquals(tensor, t.Model)))
        {
            throw new ArgumentException("BindTwin was given the model itself: the twin must be a second instance of its architecture.", nameof(twin));
        }

        TwinBinding binding = TwinBinding.Bind(this, twin, targets, Options.Device, Options.FloatingDtype);
        _twins.Add(binding);
        return binding;
    }

    internal void Unbind(TwinBinding binding) => _twins.Remove(binding);

    /// <summary>Checks run before each update: twins must not train; left-out frozen parameters that train are reported.</summary>
    private void BeforeUpdate(long step)
    {
        foreach (TwinBinding twin in _twins)
        {
            twin.ThrowIfMisused();
        }

        _selection.ReportUnfrozen(step);
    }

    /// <summary>The EMA tensors <see cref="Load(IReadOnlyDictionary{string, Tensor}, long)"/> writes: all but the left-out ones, which are the model's own.</summary>
    private IEnumerable<KeyValuePair<string, Tensor>> LoadTargets() => _emaByName.Where(p => !_selection.IsExcluded(p.Key));

    private void ReleaseTwins()
    {
        foreach (TwinBinding twin in _twins)
        {
            twin.Release();
        }

        _twins.Clear();
    }

    /// <summary>Per state-dict name: the model's tensor and what a twin views (the EMA's tensor, or the model's own when left out).</summary>
    private List<(string Name, Tensor Model, Tensor Target)> TwinTargets()
    {
        var targets = new List<(string Name, Tensor Model, Tensor Target)>();
        foreach (TensorSlot slot in _groups.SelectMany(g => g.Slots))
        {
            targets.AddRange(slot.Names.Select(name => (name, slot.ModelTensor, slot.EmaView)));
        }

        targets.AddRange(_selection.Excluded.Select(e => (e.Name, e.Tensor, e.Tensor)));
        return targets;
    }
}
