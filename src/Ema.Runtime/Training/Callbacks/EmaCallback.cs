namespace Ema;

/// <summary>
/// SuperGradients' EMA behaviour on the training events: the EMA is made from the model at training start,
/// updated after every optimizer step (step = global batch index, total = batches per epoch x max epochs),
/// swapped into the model for validation and out after it, and copied into the model at training end.
/// </summary>
/// <remarks>
/// A hand-written loop uses it by raising the same events in the same order; dispose the callback when done
/// (other <see cref="ModelEma"/> objects of the model may live beside it; see <c>docs/schedules.md</c>).
/// </remarks>
/// <param name="parameters">The decay and schedule (<c>ema_params</c>).</param>
/// <param name="options">Where and in which precision to keep the EMA, or null for the model's own.</param>
public sealed class EmaCallback(EmaParams parameters, ModelEmaOptions? options = null) : TrainingListener, IDisposable
{
    private readonly EmaParams _parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
    private IDisposable? _validationScope;

    /// <summary>The EMA, from training start until the callback is disposed.</summary>
    public ModelEma? Ema { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainingStart(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Ema is not null)
        {
            throw new InvalidOperationException("This EmaCallback already holds an EMA from an earlier run: use a new callback per run (and dispose the old one).");
        }

        Ema = new ModelEma(context.Model, _parameters, options ?? new ModelEmaOptions());
        context.Ema = Ema;
    }

    /// <inheritdoc/>
    public override void OnOptimizerStep(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        RequireEma().Update(context.GlobalStep, context.TotalSteps);
    }

    /// <inheritdoc/>
    public override void OnValidationStart(TrainingContext context) => _validationScope = RequireEma().UseEmaWeights();

    /// <inheritdoc/>
    public override void OnValidationEnd(TrainingContext context)
    {
        _validationScope?.Dispose();
        _validationScope = null;
    }

    /// <inheritdoc/>
    public override void OnTrainingEnd(TrainingContext context) => RequireEma().CopyToModel();

    /// <summary>Gives the model its own weights back if validation was interrupted, and frees the EMA.</summary>
    public void Dispose()
    {
        _validationScope?.Dispose();
        _validationScope = null;
        Ema?.Dispose();
    }

    private ModelEma RequireEma() =>
        Ema ?? throw new InvalidOperationException("EmaCallback: OnTrainingStart must come first; it makes the EMA.");
}
