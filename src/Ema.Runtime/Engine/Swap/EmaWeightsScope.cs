namespace Ema;

/// <summary>The scope returned by <see cref="ModelEma.UseEmaWeights"/>: disposing it gives the model its own weights back.</summary>
internal sealed class EmaWeightsScope(ModelEma owner) : IDisposable
{
    private ModelEma? _owner = owner;

    public void Dispose()
    {
        ModelEma? owner = Interlocked.Exchange(ref _owner, null);
        owner?.EndScope(this);
    }
}
