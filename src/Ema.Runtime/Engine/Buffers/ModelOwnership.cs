using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Which live <see cref="ModelEma"/> objects have re-pointed a model's tensors at flat buffers. The first EMA of a
/// model makes the buffers; later ones join them, so that every EMA of one model averages the buffers the model
/// really uses (re-pointing the tensors again would leave the earlier EMAs averaging stale copies).
/// </summary>
internal static class ModelOwnership
{
    private static readonly ConditionalWeakTable<Tensor, SharedModel> s_shares = new();

    /// <summary>Held while an EMA looks up, builds and joins a model's buffers, so that two EMAs made at once agree.</summary>
    public static object Gate { get; } = new();

    /// <summary>
    /// The buffers that live EMAs of these tensors share, or null when none has re-pointed them.
    /// Call under <see cref="Gate"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Only some of the tensors are shared, or with another set (the model changed, or it is part of another averaged model).</exception>
    public static SharedModel? Find(IReadOnlyList<Tensor> tensors)
    {
        SharedModel? found = null;
        int shared = 0;
        foreach (Tensor tensor in tensors)
        {
            if (s_shares.TryGetValue(tensor, out SharedModel? share))
            {
                if (found is not null && !ReferenceEquals(found, share))
                {
                    throw PartlyShared();
                }

                found = share;
                shared++;
            }
        }

        if (found is not null && (shared != tensors.Count || found.Tensors.Length != tensors.Count))
        {
            throw PartlyShared();
        }

        return found;
    }

    /// <summary>
    /// Whether <paramref name="model"/> computes with an EMA's weights right now (some ModelEma of it is inside
    /// UseEmaWeights), whichever ModelEma a caller holds, or none.
    /// </summary>
    public static bool HoldsAnEma(nn.Module model) =>
        model.state_dict().Values.Any(t => s_shares.TryGetValue(t, out SharedModel? share) && share.EmaInModel is not null);

    /// <summary>
    /// The one rule for every operation that writes a model's tensors (loading a checkpoint, synthesizing a post-hoc
    /// EMA, copying the EMA in, re-pointing them for a new EMA or a twin): refused, with nothing changed, while the
    /// model computes with an EMA's weights (inside <see cref="ModelEma.UseEmaWeights"/>: the write would land in the
    /// EMA, or be undone when the scope ends) or while it is bound as a twin (its tensors view an EMA, which the
    /// write would overwrite). Checked per tensor, so a part or a parent of such a model is refused too.
    /// </summary>
    /// <param name="model">The model about to be written.</param>
    /// <param name="operation">The operation as the message names it, for example <c>"Checkpoint.LoadForInference"</c>.</param>
    /// <exception cref="InvalidOperationException">The model holds an EMA's weights or is bound as a twin; the message names the scope or the binding.</exception>
    public static void ThrowIfNotWritable(nn.Module model, string operation)
    {
        foreach ((string name, Tensor tensor) in model.state_dict())
        {
            if (s_shares.TryGetValue(tensor, out SharedModel? share) && share.EmaInModel is not null)
            {
                throw new InvalidOperationException(
                    $"{operation} would write the model's tensor '{name}' while the EMA weights are in the model (inside ModelEma.UseEmaWeights()): " +
                    "the write would land in the EMA, or be undone when the scope ends. Nothing was changed; dispose the scope first.");
            }

            if (TwinBinding.IsBoundTensor(tensor))
            {
                throw new InvalidOperationException(
                    $"{operation} would write the model's tensor '{name}', which views a ModelEma's weights: the model is bound as the twin of a ModelEma (ModelEma.BindTwin), " +
                    "so the write would overwrite the EMA. Nothing was changed; dispose the TwinBinding first (the twin then keeps its own copy of the weights).");
            }
        }
    }

    /// <summary>Whether any of <paramref name="tensors"/> is averaged by a live ModelEma (it was re-pointed at a shared buffer).</summary>
    public static bool AveragesAny(IEnumerable<Tensor> tensors) => tensors.Any(t => s_shares.TryGetValue(t, out _));

    /// <summary>Records <paramref name="owner"/> as an EMA of the model; makes the shared record for the first one. Call under <see cref="Gate"/>.</summary>
    public static SharedModel Join(ModelEma owner, Tensor[] tensors, SharedModel? existing, IReadOnlyList<TensorGroup> groups)
    {
        SharedModel share = existing ?? new SharedModel(tensors, groups.Select(g => g.AliasModelFlat()).ToArray());
        if (existing is null)
        {
            foreach (Tensor tensor in tensors)
            {
                s_shares.AddOrUpdate(tensor, share);
            }
        }

        share.Members.Add(owner);
        return share;
    }

    /// <summary>Removes <paramref name="owner"/>; the last EMA to leave frees the record (the model keeps its buffers alive through its tensors).</summary>
    public static void Leave(ModelEma owner, SharedModel share)
    {
        lock (Gate)
        {
            share.Members.Remove(owner);
            if (ReferenceEquals(share.EmaInModel, owner))
            {
                share.EmaInModel = null;
            }

            if (share.Members.Count > 0)
            {
                return;
            }

            foreach (Tensor tensor in share.Tensors)
            {
                if (s_shares.TryGetValue(tensor, out SharedModel? current) && ReferenceEquals(current, share))
                {
                    s_shares.Remove(tensor);
                }
            }

            foreach (Tensor flat in share.ModelFlats)
            {
                flat.Dispose();
            }
        }
    }

    private static InvalidOperationException PartlyShared() => new(
        "Some of this model's tensors are averaged by a live ModelEma of a different set of tensors: the model gained or lost " +
        "tensors since its first ModelEma was made, or it is a part (or a parent) of a model that has one. Every ModelEma of one " +
        "model must see the same tensors, so they must also leave out the same ones (ModelEmaOptions.Exclude; FrozenParameters picks another " +
        "set once a layer is unfrozen): dispose the existing ModelEma objects first, or average the whole model.");
}

/// <summary>The flat buffers a model's tensors are views of, and the live EMAs that average them.</summary>
/// <param name="tensors">The model's tensor objects, re-pointed at the buffers.</param>
/// <param name="modelFlats">One handle per (device, dtype) group to the model's flat buffer, owned here.</param>
internal sealed class SharedModel(Tensor[] tensors, Tensor[] modelFlats)
{
    /// <summary>The model's tensor objects.</summary>
    public Tensor[] Tensors { get; } = tensors;

    /// <summary>The model's flat buffers, one per group, in group order.</summary>
    public Tensor[] ModelFlats { get; } = modelFlats;

    /// <summary>The live EMAs of the model.</summary>
    public List<ModelEma> Members { get; } = [];

    /// <summary>The EMA whose weights the model computes with (inside its <see cref="ModelEma.UseEmaWeights"/>), or null.</summary>
    public ModelEma? EmaInModel { get; set; }
}
