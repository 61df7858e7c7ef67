namespace Ema;

/// <summary>
/// How one <see cref="TensorGroup"/> puts its EMA into the model for <see cref="ModelEma.UseEmaWeights"/> and
/// takes it back: chosen once when the group is made (<see cref="SwapCost"/>), so each strategy keeps only the state
/// it needs (a backup, an exchange's staging) instead of the group testing flags.
/// </summary>
internal interface IGroupSwap : IDisposable
{
    /// <summary>The method's name, as <see cref="ModelEma.SwapMethods"/> and <see cref="SwapCost.Force"/> say it.</summary>
    SwapMethod Method { get; }

    /// <summary>Bytes the strategy allocated up front (an exchange's staging chunk), for <see cref="TensorGroup.EmaBytes"/>.</summary>
    long StagingBytes { get; }

    /// <summary>Makes the model compute with the EMA weights.</summary>
    /// <param name="emaBufferIsViewed">Something else computes with the EMA's buffer (a bound twin): its values must stay.</param>
    void SwapIn(bool emaBufferIsViewed);

    /// <summary>Gives the model its own weights back, bit-identical.</summary>
    void SwapOut();

    /// <summary>Inside the scope, makes the EMA views show the EMA's values where they moved (see <see cref="TensorGroup.ShowEmaInEmaViews"/>).</summary>
    void ShowEmaInEmaViews();
}
