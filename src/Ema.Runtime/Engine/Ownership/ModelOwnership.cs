using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// One model's tensors while live <see cref="ModelEma"/> objects average them: the flat buffers the tensors were
/// re-pointed at, the EMAs that share them, and the one whose weights the model computes with. The first EMA of a
/// model makes it; later ones join it, so that every EMA of one model averages the buffers the model really uses
/// (re-pointing the tensors again would leave the earlier EMAs averaging stale copies). Each <see cref="ModelEma"/>
/// holds its model's ownership; writers that get only the model find it through <see cref="TensorClaims"/>.
/// </summary>
internal sealed class ModelOwnership : ITensorClaim
{
    private readonly Tensor[] _tensors;
    private ModelEma[] _members = [];   // replaced, never changed in place (under TensorClaims.Gate): readers need no lock

    private ModelOwnership(Tensor[] tensors, Tensor[] modelFlats)
    {
        _tensors = tensors;
        ModelFlats = modelFlats;
    }

    /// <summary>The model's flat buffers, one per (device, dtype) group in group order, owned here.</summary>
    public Tensor[] ModelFlats { get; }

    /// <summary>
    /// The EMA whose weights the model computes with (inside its <see cref="ModelEma.UseEmaWeights"/>), or null: read
    /// from the members' own scopes, so it cannot disagree with them.
    /// </summary>
    public ModelEma? EmaInModel => Array.Find(_members, m => m.IsEmaInModel);

    /// <summary>
    /// The ownership of these tensors, or null when no live EMA re-pointed them. Call under <see cref="TensorClaims.Gate"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Only some of the tensors are owned, or by another set (the model changed, or it is part of another averaged model).</exception>
    public static ModelOwnership? Find(IReadOnlyList<Tensor> tensors)
    {
        ModelOwnership? found = null;
        int owned = 0;
        foreach (Tensor tensor in tensors)
        {
            if (TensorClaims.Of<ModelOwnership>(tensor) is { } ownership)
            {
                if (found is not null && !ReferenceEquals(found, ownership))
                {
                    throw PartlyOwned();
                }

                found = ownership;
                owned++;
            }
        }

        if (found is not null && (owned != tensors.Count || found._tensors.Length != tensors.Count))
        {
            throw PartlyOwned();
        }

        return found;
    }

    /// <summary>
    /// Whether <paramref name="model"/> computes with an EMA's weights right now (some ModelEma of it is inside
    /// UseEmaWeights), whichever ModelEma a caller holds, or none.
    /// </summary>
    public static bool HoldsAnEma(nn.Module model) =>
        model.state_dict().Values.Any(t => TensorClaims.Of<ModelOwnership>(t) is { EmaInModel: not null });

    /// <summary>Whether any of <paramref name="tensors"/> is averaged by a live ModelEma (it was re-pointed at a shared buffer).</summary>
    public static bool AveragesAny(IEnumerable<Tensor> tensors) => tensors.Any(t => TensorClaims.Of<ModelOwnership>(t) is not null);

    /// <summary>
    /// Records <paramref name="member"/> as an EMA of the model: joins <paramref name="existing"/>, or makes the
    /// ownership of <paramref name="tensors"/> (whose flat buffers <paramref name="groups"/> made) for the first one.
    /// Call under <see cref="TensorClaims.Gate"/>.
    /// </summary>
    public static ModelOwnership Join(ModelEma member, Tensor[] tensors, ModelOwnership? existing, IReadOnlyList<TensorGroup> groups)
    {
        ModelOwnership ownership = existing ?? new ModelOwnership(tensors, groups.Select(g => g.AliasModelFlat()).ToArray());
        if (existing is null)
        {
            TensorClaims.Claim(tensors, ownership);
        }

        ownership._members = [.. ownership._members, member];
        return ownership;
    }

    /// <summary>Removes <paramref name="member"/>; the last EMA to leave ends the ownership (the model keeps its buffers alive through its tensors).</summary>
    public void Leave(ModelEma member)
    {
        lock (TensorClaims.Gate)
        {
            _members = Array.FindAll(_members, m => !ReferenceEquals(m, member));
            if (_members.Length > 0)
            {
                return;
            }

            TensorClaims.Release(_tensors, this);
            foreach (Tensor flat in ModelFlats)
            {
                flat.Dispose();
            }
        }
    }

    /// <inheritdoc/>
    public string? RefusesWrite(string operation, string name) => EmaInModel is null
        ? null
        : $"{operation} would write the model's tensor '{name}' while the EMA weights are in the model (inside ModelEma.UseEmaWeights()): " +
          "the write would land in the EMA, or be undone when the scope ends. Nothing was changed; dispose the scope first.";

    private static InvalidOperationException PartlyOwned() => new(
        "Some of this model's tensors are averaged by a live ModelEma of a different set of tensors: the model gained or lost " +
        "tensors since its first ModelEma was made, or it is a part (or a parent) of a model that has one. Every ModelEma of one " +
        "model must see the same tensors, so they must also leave out the same ones (ModelEmaOptions.Exclude; FrozenParameters picks another " +
        "set once a layer is unfrozen): dispose the existing ModelEma objects first, or average the whole model.");
}
