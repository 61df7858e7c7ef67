namespace Ema;

/// <summary>What a checkpoint records besides the weights.</summary>
public sealed record CheckpointInfo
{
    /// <summary>Completed epochs when the checkpoint was written (1 after the first epoch).</summary>
    public int Epoch { get; init; }

    /// <summary>Training batches done when the checkpoint was written: the next batch has index <c>GlobalStep + 1</c>.</summary>
    public long GlobalStep { get; init; }

    /// <summary>The best watched validation metric so far, or null when none was recorded.</summary>
    public double? BestMetric { get; init; }

    /// <summary>Whether the checkpoint holds EMA weights (<c>ema_net.*</c>).</summary>
    public bool HasEma { get; init; }

    /// <summary>The EMA's step (its last update), or null without EMA.</summary>
    public long? EmaStep { get; init; }

    /// <summary>The raw <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
