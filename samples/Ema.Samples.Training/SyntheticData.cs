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

    /// <summary>Fixed-order mini-batches (views of the full tensors) of <paramref name="batchSize"/>.</summary>
    public static List<(Tensor Input, Tensor Target)> Batches(Tensor points, Tensor labels, int batchSize, int seed)
    {
        long count = points.shape[0];
        using Tensor order = randperm(count, generator: new Generator((ulong)seed));
        using Tensor shuffledPoints = points.index_select(0, order);
        using Tensor shuffledLabels = labels.index_select(0, order);
        var batches = new List<(Tensor, Tensor)>();
        for (long start = 0; start + batchSize <= count; start += batchSize)
        {
            batches.Add((shuffledPoints.narrow(0, start, batchSize).clone(), shuffledLabels.narrow(0, start, batchSize).clone()));
        }

        return batches;
    }
}
