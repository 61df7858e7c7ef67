using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Which live object (a <see cref="ModelOwnership"/> or a <see cref="TwinBinding"/>) has a claim on a tensor, and the one
/// rule for every operation that writes a model's tensors.
/// </summary>
/// <remarks>
/// Why a static index at all: writers get a bare <c>nn.Module</c> (<c>Checkpoint.LoadForInference(model, path)</c>,
/// <c>PostHocEma.Synthesize</c>, a second <c>new ModelEma(model, ...)</c>) and must learn whether an EMA re-pointed its
/// tensors; a TorchSharp tensor has no slot for user data, so the way from a tensor to its owner is a table keyed by
/// the tensor object. The table holds no state of its own, only which owner to ask, and weakly: an entry goes with its
/// tensor. The state (buffers, member EMAs, the EMA in the model, the twin's views) lives in the owner objects, which
/// the engine holds.
/// </remarks>
internal static class TensorClaims
{
    private static readonly ConditionalWeakTable<Tensor, ITensorClaim> s_claims = new();

    /// <summary>
    /// Held while a claim on a set of tensors is looked up and made or released (a new ModelEma joining its model's
    /// buffers, a twin being bound), so that two made at once see each other.
    /// </summary>
    public static object Gate { get; } = new();

    /// <summary>The claim on <paramref name="tensor"/> if it is a <typeparamref name="T"/>, or null.</summary>
    public static T? Of<T>(Tensor tensor)
        where T : class, ITensorClaim =>
        s_claims.TryGetValue(tensor, out ITensorClaim? claim) ? claim as T : null;

    /// <summary>Records <paramref name="claim"/> on each of <paramref name="tensors"/>. Call under <see cref="Gate"/>.</summary>
    public static void Claim(IEnumerable<Tensor> tensors, ITensorClaim claim)
    {
        foreach (Tensor tensor in tensors)
        {
            s_claims.AddOrUpdate(tensor, claim);
        }
    }

    /// <summary>Removes <paramref name="claim"/> from each of <paramref name="tensors"/> that it still holds. Call under <see cref="Gate"/>.</summary>
    public static void Release(IEnumerable<Tensor> tensors, ITensorClaim claim)
    {
        foreach (Tensor tensor in tensors)
        {
            if (s_claims.TryGetValue(tensor, out ITensorClaim? current) && ReferenceEquals(current, claim))
            {
                s_claims.Remove(tensor);
            }
        }
    }

    /// <summary>
    /// The one rule for every operation that writes a model's tensors (loading a checkpoint, synthesizing a post-hoc
    /// EMA, copying the EMA in, re-pointing them for a new EMA or a twin): refused, with nothing changed, when the
    /// owner of any of its tensors says the write would do harm (<see cref="ModelOwnership"/>: the model computes with
    /// an EMA's weights; <see cref="TwinBinding"/>: the model is bound as a twin). Checked per tensor, so a part or a
    /// parent of such a model is refused too.
    /// </summary>
    /// <param name="model">The model about to be written.</param>
    /// <param name="operation">The operation as the message names it, for example <c>"Checkpoint.LoadForInference"</c>.</param>
    /// <exception cref="InvalidOperationException">A claim refuses the write; the message names the tensor, the scope or the binding.</exception>
    public static void ThrowIfNotWritable(nn.Module model, string operation)
    {
        foreach ((string name, Tensor tensor) in model.state_dict())
        {
            if (s_claims.TryGetValue(tensor, out ITensorClaim? claim) && claim.RefusesWrite(operation, name) is { } why)
            {
                throw new InvalidOperationException(why);
            }
        }
    }
}
