using static TorchSharp.torch;

namespace Ema.Samples.Training;

/// <summary>
/// Three interleaved spirals in 2-D, made on the fly (no download). A share of the training labels is flipped at
/// random; validation labels are clean. Noisy labels make the raw weights jitter from step to step, which is where
/// the EMA of the weights shows its worth.
/// </summary>
internal static class SyntheticData
{
    public const int Classes = 3;

    /// <summary>Points and labels of the spirals, with <paramref name="labelNoise"/> of the labels replaced by random ones.</summary>
    public static (Tensor Points, Tensor Labels) Spirals(int count, double labelNoise, int seed)
    {
        var random = new Random(seed);
        var points = new float[count * 2];
        var labels = new long[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % Classes;
            double radius = random.NextDouble();
            double angle = (label * 2 * Math.PI / Classes) + (radius * 4.0) + (random.NextDouble() * 0.35);
            points[2 * i] = (float)(radius * Math.Cos(angle));
            points[(2 * i) + 1] = (float)(radius * Math.Sin(angle));
            labels[i] = random.NextDouble() < labelNoise ? random.Next(Classes) : label;
        }

        return (tensor(points, new long[] { count, 2 }), tensor(labels));
    }

    /// <summary>Mini-batches (copies) of <paramref name="batchSize"/> in one shuffled order; a last partial batch is dropped.</summary>
    public static List<(Tensor Input, Tensor Target)> Batches(Tensor points, Tensor labels, int batchSize, int seed)
    {
        long count = points.shape[0];
        using Tensor order = randperm(count, generator: new Generator((ulong)seed));
        using Tensor shuffledPoints = points.index_select(0, order);
        using Tensor shuffledLabels = labels.index_select(0, order);
        var batches = new List<(Tensor, Tensor)>();
        for (long start = 0; start + batchSize <= count; start += batchSize)
        {
            using Tensor pointRange = shuffledPoints.narrow(0, start, batchSize);
            using Tensor labelRange = shuffledLabels.narrow(0, start, batchSize);
            batches.Add((pointRange.clone(), labelRange.clone()));
        }

        return batches;
    }
}

/// <summary>
/// Training batches in a new order each epoch, the same orders on every run (a seeded shuffle per epoch). A
/// collection, so the trainer counts the batches without drawing a shuffle.
/// </summary>
internal sealed class EpochShuffledBatches(IReadOnlyList<(Tensor Input, Tensor Target)> batches, int seed) : IReadOnlyCollection<(Tensor Input, Tensor Target)>
{
    private int _epoch;

    public int Count => batches.Count;

    public IEnumerator<(Tensor Input, Tensor Target)> GetEnumerator()
    {
        var random = new Random(seed + _epoch++);
        int[] order = Enumerable.Range(0, batches.Count).ToArray();
        random.Shuffle(order);
        return order.Select(i => batches[i]).GetEnumerator();
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
