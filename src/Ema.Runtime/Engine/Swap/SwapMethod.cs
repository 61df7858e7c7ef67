namespace Ema;

/// <summary>How <see cref="ModelEma.UseEmaWeights"/> puts a group's EMA weights into the model.</summary>
internal enum SwapMethod
{
    /// <summary>Re-point each model tensor at its view of the EMA buffer with <c>set_</c>: no data moves, one call per tensor.</summary>
    Repoint,

    /// <summary>Exchange the values of the two buffers through a staging chunk (<see cref="ChunkedExchange"/>): data moves, a few calls per chunk.</summary>
    Exchange,

    /// <summary>Keep the model's values in a backup and copy the EMA in: the EMA has another dtype or device.</summary>
    Copy,
}
