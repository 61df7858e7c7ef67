namespace Ema;

/// <summary>
/// A schedule that also shapes what the EMA hands out: <c>average + Weight(step) * (theta_last - theta_anchor)</c>,
/// with <c>theta_last</c> the model at the last update and <c>theta_anchor</c> the model at <see cref="AnchorStep"/>.
/// <see cref="ModelEma"/> keeps the average and the anchor beside the handed-out weights, so every reader (the swap,
/// <c>CopyToModel</c>, <c>EmaWeights</c>, <c>ema_net</c>, a twin) sees the corrected weights without knowing why.
/// </summary>
internal interface IOutputCorrection
{
    /// <summary>At updates up to this step the anchor and the average follow the model.</summary>
    long AnchorStep { get; }

    /// <summary>The correction's weight at <paramref name="step"/> (0 at steps up to <see cref="AnchorStep"/>).</summary>
    double Weight(long step);
}
