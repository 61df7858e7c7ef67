using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// Takes the next batch from a batch source so that what the source made for that batch is freed with it, and what
/// it keeps across batches is not.
/// </summary>
/// <remarks>
/// A source may make tensors while producing a batch: the batch itself (an index into a dataset), temporaries, and
/// state it keeps for later batches (a shuffling permutation made at its first batch). A dispose scope around the
/// whole <c>MoveNext</c> frees that state too, and the next batch fails with "Tensor invalid -- empty handle". So
/// <c>MoveNext</c> runs in a scope of its own; of what it made, only the batch's input and target move to the
/// caller's batch scope (freed at batch end), and everything else is released to the source and the GC.
/// </remarks>
internal static class BatchPull
{
    /// <summary>Advances <paramref name="source"/>; call it inside the batch's dispose scope.</summary>
    /// <returns>False at the end of the source.</returns>
    public static bool Next(IEnumerator<(Tensor Input, Tensor Target)> source, out (Tensor Input, Tensor Target) batch)
    {
        batch = default;
        using DisposeScope made = NewDisposeScope();
        bool more = source.MoveNext();
        if (more)
        {
            batch = source.Current;
            MoveToBatch(made, batch.Input);
            if (!ReferenceEquals(batch.Target, batch.Input))
            {
                MoveToBatch(made, batch.Target);
            }
        }

        // The rest belongs to the source (its state) or to nobody (temporaries, which the GC frees).
        made.Detach(made.DisposablesView.ToArray());
        return more;
    }

    private static void MoveToBatch(DisposeScope made, Tensor tensor)
    {
        if (made.Contains(tensor))
        {
            made.MoveToOuter(tensor);
        }
    }
}
