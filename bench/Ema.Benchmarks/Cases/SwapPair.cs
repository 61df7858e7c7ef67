namespace Ema.Benchmarks.Cases;

/// <summary>
/// A second model of the case with an EMA whose swap method is forced, so that both methods are timed side by
/// side with the case's own update: what <c>SwapCost</c> chooses from, measured.
/// </summary>
internal sealed class SwapPair : IDisposable
{
    private readonly ShapeModule _model;
    private readonly ModelEma _ema;

    public SwapPair(CaseDefinition definition, SwapMethod method)
    {
        Method = method;
        _model = CaseFixture.MakeModel(definition);
        using (SwapCost.Force(method))
        {
            _ema = new ModelEma(_model, new ConstantEmaParams(decay: 0.999), new ModelEmaOptions { FloatingDtype = definition.EmaDtype });
        }

        SwapInAndOut(); // a copying group allocates its backup at the first swap: before the case counts tensors
    }

    public SwapMethod Method { get; }

    /// <summary>UseEmaWeights and disposing its scope: one swap in and out.</summary>
    public void SwapInAndOut() => _ema.UseEmaWeights().Dispose();

    public void Dispose()
    {
        _ema.Dispose();
        _model.Dispose();
    }
}
