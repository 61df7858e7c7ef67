using System.Globalization;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// A second instance of the model's architecture pointed at the EMA's tensors with <c>set_</c>, so that it computes
/// with the EMA weights beside the training model (a mean teacher), with no copy: every <see cref="ModelEma.Update(long, long)"/>
/// is seen by its next forward. Made by <see cref="ModelEma.BindTwin"/>; disposing it unbinds the twin.
/// </summary>
/// <remarks>
/// Unbinding (disposing this, or disposing the <see cref="ModelEma"/>) gives every twin tensor its own copy of the
/// values it views at that moment: the twin stays usable as a frozen snapshot and never aliases the EMA or the
/// model again. Its parameters keep <c>requires_grad = false</c>.
/// </remarks>
public sealed class TwinBinding : IDisposable, ITensorClaim
{
    // A module bound to two EMAs would view the second one's tensors while the first still checks them. Keyed by the
    // module (not its tensors): twin.to(...) after binding replaces the tensors, and the module is still bound.
    // The twin's tensors are claimed in TensorClaims, so that a write into any module holding one (the twin, a part
    // or a parent of it) is refused by TensorClaims.ThrowIfNotWritable.
    private static readonly ConditionalWeakTable<nn.Module, TwinBinding> s_bound = new();

    private readonly ModelEma _owner;
    private readonly (string Name, Tensor Twin, Tensor Target)[] _bound;
    private bool _released;

    private TwinBinding(ModelEma owner, nn.Module twin, (string Name, Tensor Twin, Tensor Target)[] bound)
    {
        _owner = owner;
        Twin = twin;
        _bound = bound;
    }

    /// <summary>The bound module; it computes with the EMA weights until this binding is disposed.</summary>
    public nn.Module Twin { get; }

    /// <summary>Whether the twin still views the EMA (false after <see cref="Dispose"/> or after the EMA was disposed).</summary>
    public bool IsBound => !_released;

    /// <inheritdoc/>
    string? ITensorClaim.RefusesWrite(string operation, string name) => _released
        ? null
        : $"{operation} would write the model's tensor '{name}', which views a ModelEma's weights: the model is bound as the twin of a ModelEma (ModelEma.BindTwin), " +
          "so the write would overwrite the EMA. Nothing was changed; dispose the TwinBinding first (the twin then keeps its own copy of the weights).";

    /// <summary>Unbinds the twin: its tensors get their own copies of the values they view now.</summary>
    public void Dispose()
    {
        if (_released)
        {
            return;
        }

        Release();
        _owner.Unbind(this);
    }

    /// <summary>
    /// Checks <paramref name="twin"/> against the EMA's tensors (names, shapes, dtypes), moves it to the EMA's
    /// device and floating dtype where they differ from the model's, and points each of its state-dict tensors at
    /// <c>Target</c> of the same name.
    /// </summary>
    /// <param name="owner">The EMA that owns the targets.</param>
    /// <param name="twin">The module to bind.</param>
    /// <param name="targets">Per state-dict name: the model's tensor (for the expected shape and dtype) and the tensor the twin must view.</param>
    /// <param name="emaDevice">The device of the EMA, or null for the model's.</param>
    /// <param name="emaFloatingDtype">The floating dtype of the EMA, or null for the model's.</param>
    internal static TwinBinding Bind(ModelEma owner, nn.Module twin, IReadOnlyList<(string Name, Tensor Model, Tensor Target)> targets, Device? emaDevice, ScalarType? emaFloatingDtype)
    {
        lock (TensorClaims.Gate)
        {
            if (s_bound.TryGetValue(twin, out TwinBinding? existing) && existing.IsBound)
            {
                throw new InvalidOperationException("This twin is already bound to a ModelEma; dispose that binding before binding it again.");
            }
        }

        // Binding re-points the twin's tensors: the rule of every write (not inside a scope, not a twin already).
        TensorClaims.ThrowIfNotWritable(twin, "ModelEma.BindTwin");
        CheckSameArchitecture(twin.state_dict(), targets);
        if (ModelOwnership.AveragesAny(twin.state_dict().Values))
        {
            // Binding re-points the twin's tensors: that module's own EMA would go on averaging a buffer nothing trains.
            throw new InvalidOperationException("This twin has a live ModelEma of its own: dispose it before binding the module as a twin.");
        }

        // set_ cannot change a tensor's dtype or device, so the twin moves first (this replaces its Parameter objects).
        // Whether every tensor will then fit its target is decided before the move, so a refused twin is left as it was.
        Dictionary<string, Tensor> before = twin.state_dict();
        foreach ((string name, _, Tensor target) in targets)
        {
            Tensor tensor = before[name];
            ScalarType dtype = emaFloatingDtype is { } floating && tensor.is_floating_point() ? floating : tensor.dtype;
            Device device = emaDevice ?? tensor.device;
            if (dtype != target.dtype || device.type != target.device.type || device.index != target.device.index)
            {
                throw new ArgumentException(
                    $"The twin's tensor '{name}' would be {dtype} on {device} after moving it to the EMA's device and dtype, but the tensor it must view is {target.dtype} on {target.device}. " +
                    "A tensor left out of the EMA (ModelEmaOptions.Exclude) stays on the model's device and dtype, so a twin cannot view it when the EMA lives elsewhere.",
                    nameof(twin));
            }
        }

        if (emaDevice is not null)
        {
            twin.to(emaDevice);
        }

        if (emaFloatingDtype is { } moveTo)
        {
            twin.to(moveTo);
        }

        Dictionary<string, Tensor> twinTensors = twin.state_dict();
        var bound = new (string Name, Tensor Twin, Tensor Target)[targets.Count];
        for (int i = 0; i < targets.Count; i++)
        {
            (string name, _, Tensor target) = targets[i];
            bound[i] = (name, twinTensors[name], target);
        }

        using (no_grad())
        {
            foreach ((_, Tensor tensor, Tensor target) in bound)
            {
                tensor.set_(target);
                if (tensor is TorchSharp.Modules.Parameter parameter)
                {
                    parameter.requires_grad = false;
                }
            }
        }

        // A teacher computes in eval mode; in train mode BatchNorm would write its batch statistics into the EMA.
        twin.eval();
        var binding = new TwinBinding(owner, twin, bound);
        lock (TensorClaims.Gate)
        {
            s_bound.AddOrUpdate(twin, binding);
            TensorClaims.Claim(bound.Select(b => b.Twin), binding);
        }

        return binding;
    }

    /// <summary>
    /// Refuses to go on when the twin's parameters were made trainable again (an optimizer would then write into
    /// the EMA) or were replaced (<c>twin.to(...)</c> after binding). Runs at each update; allocates nothing.
    /// </summary>
    internal void ThrowIfMisused()
    {
        foreach ((string name, Tensor tensor, _) in _bound)
        {
            if (tensor.IsInvalid)
            {
                throw new InvalidOperationException(
                    $"The twin's tensor '{name}' no longer views the EMA: it was replaced after BindTwin (twin.to(...) does that). Dispose the binding and bind the twin again.");
            }

            if (tensor is TorchSharp.Modules.Parameter { requires_grad: true })
            {
                throw new InvalidOperationException(
                    $"The twin's parameter '{name}' requires grad again: an optimizer step would write into the EMA. A twin is never trained; leave its parameters frozen (train the model, not the twin).");
            }
        }
    }

    /// <summary>Gives every twin tensor its own copy of what it views (also called when the EMA is disposed).</summary>
    internal void Release()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        lock (TensorClaims.Gate)
        {
            s_bound.Remove(Twin);
            TensorClaims.Release(_bound.Select(b => b.Twin), this);
        }

        using (no_grad())
        {
            foreach ((_, Tensor tensor, Tensor target) in _bound)
            {
                if (tensor.IsInvalid || target.IsInvalid)
                {
                    continue;
                }

                using Tensor copy = target.clone();
                tensor.set_(copy);
            }
        }
    }

    private static void CheckSameArchitecture(Dictionary<string, Tensor> twin, IReadOnlyList<(string Name, Tensor Model, Tensor Target)> targets)
    {
        var expected = targets.ToDictionary(t => t.Name, t => t, StringComparer.Ordinal);
        foreach ((string name, Tensor tensor) in twin)
        {
            if (!expected.TryGetValue(name, out (string Name, Tensor Model, Tensor Target) target))
            {
                throw new ArgumentException($"The twin has a tensor '{name}' that the model has not: a twin must be another instance of the model's architecture.", nameof(twin));
            }

            if (!tensor.shape.SequenceEqual(target.Model.shape))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"The twin's tensor '{name}' has shape [{string.Join(", ", tensor.shape)}]; the model's is [{string.Join(", ", target.Model.shape)}]."), nameof(twin));
            }

            if (tensor.dtype != target.Model.dtype && tensor.dtype != target.Target.dtype)
            {
                throw new ArgumentException($"The twin's tensor '{name}' is {tensor.dtype}; the model's is {target.Model.dtype} and the EMA's {target.Target.dtype}: make the twin with the model's or the EMA's dtype.", nameof(twin));
            }
        }

        foreach ((string name, _, _) in targets)
        {
            if (!twin.ContainsKey(name))
            {
                throw new ArgumentException($"The twin has no tensor '{name}', which the model has: a twin must be another instance of the model's architecture.", nameof(twin));
            }
        }
    }
}
