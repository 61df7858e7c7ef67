namespace Ema.Samples.Training;

/// <summary>
/// Keeps EDM2's two power EMAs (sigma_rel 0.05 and 0.10) beside the trainer's EMA and snapshots them about 20 times
/// per run into <paramref name="snapshotDirectory"/>, so that EMAs of other lengths can be synthesized afterwards.
/// </summary>
internal sealed class PostHocListener(string snapshotDirectory) : TrainingListener, IDisposable
{
    private PostHocEma? _postHoc;

    public string SnapshotDirectory { get; } = snapshotDirectory;

    /// <summary>The sigma_rel of the tracked profiles.</summary>
    public IReadOnlyList<double> SigmaRels => _postHoc?.Options.SigmaRels ?? [];

    public override void OnTrainingStart(TrainingContext context)
    {
        _postHoc = new PostHocEma(context.Model, new PostHocEmaOptions
        {
            SnapshotDirectory = FreshSnapshots.In(SnapshotDirectory),
            SnapshotEvery = Math.Max(1, context.TotalSteps / 20),
        });
    }

    public override void OnOptimizerStep(TrainingContext context) => _postHoc?.Update(context.GlobalStep, context.TotalSteps);

    public void Dispose() => _postHoc?.Dispose();
}
