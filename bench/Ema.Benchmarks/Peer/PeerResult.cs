namespace Ema.Benchmarks.Peer;

/// <summary>PyTorch's timings of its own update forms, by case and form name (milliseconds per update, medians).</summary>
internal sealed record PeerResult(string TorchVersion, string Python, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Cases)
{
    /// <summary>The fastest PyTorch form for a case, or null when the peer did not measure it.</summary>
    public (string Form, double Ms)? Best(string caseName) =>
        Cases.TryGetValue(caseName, out var forms) && forms.Count > 0
            ? forms.OrderBy(f => f.Value).Select(f => (f.Key, f.Value)).First()
            : null;
}
