using static TorchSharp.torch;

namespace Ema.Samples.Training.FashionMnist;

/// <summary>
/// Training batches of <paramref name="batchSize"/> gathered per step from the images in the order
/// <paramref name="orderOfEpoch"/> gives for each epoch (a last partial batch is dropped). Each batch is freed when the
/// next is drawn, so an epoch holds one batch at a time instead of a second copy of the data. A collection, so the
/// trainer counts the batches without drawing an epoch.
/// </summary>
internal sealed class EpochOrderBatches(Tensor images, Tensor labels, int batchSize, Func<int, long[]> orderOfEpoch)
    : IReadOnlyCollection<(Tensor Input, Tensor Target)>
{
    private int _epoch;

    public int Count => (int)(images.shape[0] / batchSize);

    public IEnumerator<(Tensor Input, Tensor Target)> GetEnumerator()
    {
        long[] order = orderOfEpoch(_epoch++);
        for (int b = 0; b < Count; b++)
        {
            using Tensor indices = tensor(order.AsSpan(b * batchSize, batchSize).ToArray());
            using Tensor input = images.index_select(0, indices);
            using Tensor target = labels.index_select(0, indices);
            yield return (input, target);
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>A seeded permutation of <paramref name="count"/> indices, the same on every run for a (seed, epoch).</summary>
    public static long[] Permutation(long count, int seed, int epoch)
    {
        var random = new Random((seed * 1009) + epoch); // not HashCode.Combine: it is randomized per process
        long[] order = new long[count];
        for (long i = 0; i < count; i++)
        {
            order[i] = i;
        }

        random.Shuffle(order);
        return order;
    }
}
