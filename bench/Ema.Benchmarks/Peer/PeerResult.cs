namespace Ema.Benchmarks.Peer;

/// <summary>One case as the peer timed it: its update forms and its own floor (milliseconds per update, medians).</summary>
internal sealed record PeerCase(IReadOnlyDictionary<string, double> Forms, double FloorMs)
{
    /// <summary>The fastest form.</summary>
    public (string Form, double Ms) Best => Forms.OrderBy(f => f.Value).Select(f => (f.Key, f.Value)).First();
}

/// <summary>PyTorch's timings of its own update forms and floor, by case name.</summary>
internal sealed record PeerResult(string TorchVersion, string Python, IReadOnlyDictionary<string, PeerCase> Cases)
{
    /// <summary>The case as the peer timed it, or null when it did not.</summary>
    public PeerCase? Find(string caseName) => Cases.TryGetValue(caseName, out PeerCase? c) && c.Forms.Count > 0 ? c : null;
}
