using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Which live <see cref="ModelEma"/> has re-pointed a model tensor. A second EMA would re-point the tensors
/// again and leave the first averaging a buffer the model no longer uses, so it is refused.
/// </summary>
internal static class ModelOwnership
{
    private static readonly ConditionalWeakTable<Tensor, ModelEma> s_owners = new();

    public static void Claim(ModelEma owner, IEnumerable<Tensor> tensors)
    {
        lock (s_owners)
        {
            Tensor[] all = tensors.ToArray();
            foreach (Tensor tensor in all)
            {
                if (s_owners.TryGetValue(tensor, out ModelEma? existing) && !ReferenceEquals(existing, owner))
                {
                    throw new InvalidOperationException(
                        "This model already has a ModelEma: a second one would leave the first averaging stale buffers. " +
                        "Dispose the first ModelEma before making another one of the same model.");
                }
            }

            foreach (Tensor tensor in all)
            {
                s_owners.AddOrUpdate(tensor, owner);
            }
        }
    }

    public static void Release(ModelEma owner, IEnumerable<Tensor> tensors)
    {
        lock (s_owners)
        {
            foreach (Tensor tensor in tensors)
            {
                if (s_owners.TryGetValue(tensor, out ModelEma? existing) && ReferenceEquals(existing, owner))
                {
                    s_owners.Remove(tensor);
                }
            }
        }
    }
}
