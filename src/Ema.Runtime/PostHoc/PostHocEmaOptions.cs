using TorchSharp;

namespace Ema;

/// <summary>What a <see cref="PostHocEma"/> tracks and where it keeps its snapshots.</summary>
public sealed record PostHocEmaOptions
{
    private readonly IReadOnlyList<double> _sigmaRels = [0.05, 0.10];
    private readonly long _snapshotEvery = 1000;
    private readonly string _snapshotDirectory = string.Empty;

    /// <summary>The directory the snapshots are written to (made if missing).</summary>
    /// <exception cref="ArgumentException">The value is null, empty or white space.</exception>
    public required string SnapshotDirectory
    {
        get => _snapshotDirectory;
        init => _snapshotDirectory = string.IsNullOrWhiteSpace(value)
            ? throw new ArgumentException($"PostHocEmaOptions.SnapshotDirectory = '{value}' is empty: give the directory the snapshots go to.", nameof(SnapshotDirectory))
            : value;
    }

    /// <summary>
    /// The sigma_rel of each tracked power EMA, each in (0, 1/sqrt(12)) and distinct; at least two, so that other
    /// lengths can be synthesized. Default: 0.05 and 0.10, EDM2's pair.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two values, a repeated value, or a value out of range.</exception>
    public IReadOnlyList<double> SigmaRels
    {
        get => _sigmaRels;
        init => _sigmaRels = PostHocSnapshot.ValidateSigmaRels(value);
    }

    /// <summary>Steps between snapshots: <see cref="PostHocEma.Update"/> writes one file per profile when <c>step % SnapshotEvery == 0</c>. Default 1000.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public long SnapshotEvery
    {
        get => _snapshotEvery;
        init => _snapshotEvery = value >= 1 ? value : throw ConfigErrors.ArgumentOutOfRange(
            nameof(SnapshotEvery), $"PostHocEmaOptions.SnapshotEvery = {ConfigErrors.Format(value)} is outside the allowed range: it must be at least 1 (steps between snapshots).");
    }

    /// <summary>
    /// The dtype of the snapshots' floating-point tensors. Default <see cref="torch.ScalarType.Float32"/>: a float32
    /// EMA is stored exactly. <see cref="torch.ScalarType.BFloat16"/> halves the files but rounds each weight to 8
    /// significant bits (relative error up to 2^-9, about 0.2%), <see cref="torch.ScalarType.Float16"/> to 11 bits
    /// (2^-12, about 0.02%) within its range; the synthesized EMA inherits that error.
    /// </summary>
    public torch.ScalarType SnapshotDtype { get; init; } = torch.ScalarType.Float32;

    /// <summary>
    /// Whether this <see cref="PostHocEma"/> continues the run whose snapshots are in <see cref="SnapshotDirectory"/>
    /// (set it when resuming training) rather than start a new one. Default false: a new run, which refuses a
    /// directory holding another run's snapshots (their synthesis would mix two trajectories). When true, the
    /// directory must hold one run's snapshots (or none) of the same model and profiles; at the first
    /// <see cref="PostHocEma.Update"/>(step) the tracked EMAs are restored from that run's snapshots at step - 1, and
    /// its snapshots at later steps (written after the checkpoint resumed from) are deleted.
    /// </summary>
    public bool ContinueRun { get; init; }

    /// <summary>Options of the tracked EMAs (dtype, device, non-finite policy). Default: the model's dtype and device.</summary>
    public ModelEmaOptions EmaOptions { get; init; } = new();
}
