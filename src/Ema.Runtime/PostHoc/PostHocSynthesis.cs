using static TorchSharp.torch;

namespace Ema;

/// <summary>Sums snapshots with weights into a model, one snapshot and one tensor at a time.</summary>
internal static class PostHocSynthesis
{
    public static void Apply(nn.Module model, IReadOnlyList<PostHocSnapshot> snapshots, IReadOnlyList<double> weights) =>
        Apply(model.state_dict(), snapshots, weights);

    /// <summary>Sums into <paramref name="targets"/> (a model's state dict, or tensors shaped as the snapshots' for a synthesis without model code).</summary>
    public static void Apply(Dictionary<string, Tensor> targets, IReadOnlyList<PostHocSnapshot> snapshots, IReadOnlyList<double> weights)
    {
        var sums = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var counters = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using (no_grad())
            {
                foreach ((string name, Tensor target) in targets.Where(t => t.Value.is_floating_point()))
                {
                    ScalarType dtype = target.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
                    sums.Add(name, zeros(target.shape, dtype));
                }

                // Integer buffers (BatchNorm's num_batches_tracked) are counters, not averages: the latest snapshot's
                // values, kept aside while it streams by and put in only once every snapshot has been read.
                PostHocSnapshot latest = snapshots.MaxBy(s => s.Step)!;
                for (int i = 0; i < snapshots.Count; i++)
                {
                    double weight = weights[i];
                    bool isLatest = ReferenceEquals(snapshots[i], latest);
                    int seen = ForEachModelTensor(snapshots[i], targets, (name, tensor) =>
                    {
                        if (sums.TryGetValue(name, out Tensor? sum))
                        {
                            sum.add_(tensor, alpha: weight);
                        }
                        else if (isLatest && !tensor.is_floating_point())
                        {
                            counters.Add(name, tensor.clone());
                        }
                    });
                    RequireAll(snapshots[i], seen, targets.Count);
                }

                // A weighted sum of finite snapshots can still lie beyond a narrower model dtype (float16's 65504 for a
                // float32 run synthesized into a float16 model): copied in, it would become infinity, silently. Every
                // sum is checked before any target is written.
                foreach ((string name, Tensor sum) in sums)
                {
                    Tensor target = targets[name];
                    if (NonFiniteProbe.FindNonFinite(sum, FloatingDtypes.NarrowingLimit(sum.dtype, target.dtype)) is { } found)
                    {
                        throw new ArgumentException(
                            $"The synthesized EMA's tensor '{name}' holds {found}: the model's {target.dtype} cannot hold it. Synthesize into a model of {sum.dtype} (or a wider dtype); nothing was changed.",
                            "model");
                    }
                }

                foreach ((string name, Tensor counter) in counters)
                {
                    targets[name].copy_(counter);
                }

                foreach ((string name, Tensor sum) in sums)
                {
                    targets[name].copy_(sum);
                }
            }
        }
        finally
        {
            foreach (Tensor owned in sums.Values.Concat(counters.Values))
            {
                owned.Dispose();
            }
        }
    }

    /// <summary>Visits the snapshot's tensors that the model has, checking shapes; returns how many it visited.</summary>
    private static int ForEachModelTensor(PostHocSnapshot snapshot, Dictionary<string, Tensor> targets, Action<string, Tensor> visit)
    {
        int seen = 0;
        SafetensorsReader.ReadEach(snapshot.Path, (name, tensor) =>
        {
            if (!targets.TryGetValue(name, out Tensor? target) || !target.shape.SequenceEqual(tensor.shape))
            {
                throw new CheckpointException(snapshot.Path, "the snapshot's tensor has no counterpart of that shape in the model (a snapshot of another model).", name);
            }

            visit(name, tensor);
            seen++;
        });
        return seen;
    }

    private static void RequireAll(PostHocSnapshot snapshot, int seen, int expected)
    {
        if (seen != expected)
        {
            throw new CheckpointException(snapshot.Path, $"the snapshot holds {seen} of the model's {expected} tensors (truncated, or a snapshot of another model).");
        }
    }
}
