using Ema.Benchmarks.Measurement;
using Ema.Benchmarks.Peer;

namespace Ema.Benchmarks.Reporting;

/// <summary>
/// One case over several rounds, each round Ema's process measuring the case and then the PyTorch peer's process
/// measuring its forms. Every ratio is taken within one round (one process, side by side) before the median and
/// range over rounds, so load that moves between rounds or processes cancels as far as it can.
/// </summary>
internal sealed record CaseSummary(string Case, IReadOnlyList<CaseResult> Rounds, IReadOnlyList<PeerCase?> Peer)
{
    public Spread Of(Func<CaseResult, double> figure) => Spread.Of(Rounds.Select(figure));

    /// <summary>A figure of Ema's and the peer's results of the same round, over the rounds the peer ran; null when it never did.</summary>
    public Spread? WithPeer(Func<CaseResult, PeerCase, double> figure)
    {
        double[] values = Rounds.Zip(Peer).Where(p => p.Second is not null).Select(p => figure(p.First, p.Second!)).ToArray();
        return values.Length == 0 ? null : Spread.Of(values);
    }

    /// <summary>PyTorch's best form over its own floor.</summary>
    public Spread? PeerBestOverFloor => WithPeer((_, p) => p.Best.Ms / p.FloorMs);

    /// <summary>Update's raw speed-up over PyTorch's best form (two processes: load moves between them).</summary>
    public Spread? SpeedUp => WithPeer((r, p) => p.Best.Ms / r.UpdateMs);

    /// <summary>The speed-up with each side divided by its own floor: (PyTorch best / its floor) / (Update / Ema's floor).</summary>
    public Spread? FloorNormalizedSpeedUp => WithPeer((r, p) => p.Best.Ms / p.FloorMs / r.UpdateOverFloor);
}
