using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ema.Benchmarks.Peer;

namespace Ema.Benchmarks.Reporting;

/// <summary>Prints the readable tables and one JSON line per case and round.</summary>
internal static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>One round's figures as measured: Ema's cases and, when it ran, the peer's forms.</summary>
    public static string RoundTable(int round, IReadOnlyList<CaseResult> results, PeerResult? peer, string? peerSkip)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(Inv, $"Round {round}:"));
        sb.AppendLine("| case | tensors | values | Update ms | floor ms | Update/floor | NaN-check sum ms | mul_+add_ loop ms | lerp_ loop ms | mul-add loop/Update | lerp loop/Update | swap enter us | swap exit us | swap/Update | swap by | re-point swap/Update | exchange swap/Update | EMA MB | EMA copies | tensors/update | managed B/update | tensors/swap | peak RSS +MB/3 updates |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (CaseResult r in results)
        {
            sb.AppendLine(string.Create(Inv,
                $"| {r.Case} | {r.FloatingTensors} | {r.FloatingValues:N0} | {r.UpdateMs:0.000} | {r.FloorMs:0.000} | {r.UpdateOverFloor:0.00} | {r.NonFiniteCheckMs:0.000} | {r.MulAddLoopMs:0.000} | {r.LerpLoopMs:0.000} | {r.MulAddLoopOverUpdate:0.00} | {r.LerpLoopOverUpdate:0.00} | {r.SwapEnterMs * 1000:0.0} | {r.SwapExitMs * 1000:0.0} | {r.SwapOverUpdate * 100:0.00}% | {r.SwapChosen} | {r.RepointSwapOverUpdate * 100:0.0}% | {r.ExchangeSwapOverUpdate * 100:0.0}% | {r.EmaBytes / 1e6:0.0} | {r.EmaCopies:0.00} | {r.UpdateAllocations.TensorsCreated:0.##} | {r.UpdateAllocations.ManagedBytes:0} | {r.SwapAllocations.TensorsCreated:0.##} | {(r.UpdatePeakRssGrowthBytes ?? -1) / 1e6:0.0} |"));
        }

        if (peer is null)
        {
            sb.AppendLine($"PyTorch peer: {peerSkip}");
            return sb.ToString();
        }

        sb.AppendLine($"PyTorch peer: torch {peer.TorchVersion} ({peer.Python}); ms per update");
        sb.AppendLine("| case | lerp_ loop ms | _foreach mul/add ms | SuperGradients ms | peer floor ms | best/floor |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (CaseResult r in results)
        {
            if (peer.Find(r.Case) is not { } c)
            {
                continue;
            }

            sb.AppendLine(string.Create(Inv,
                $"| {r.Case} | {c.Forms["lerp_loop_ms"]:0.000} | {c.Forms["foreach_ms"]:0.000} | {c.Forms["sg_ms"]:0.000} | {c.FloorMs:0.000} | {c.Best.Ms / c.FloorMs:0.00} |"));
        }

        return sb.ToString();
    }

    /// <summary>The figures that are quoted: each a median and range over the rounds, ratios taken within a round.</summary>
    public static string Summary(IReadOnlyList<CaseSummary> summaries, string? peerSkip)
    {
        var sb = new StringBuilder();
        int rounds = summaries.Count == 0 ? 0 : summaries[0].Rounds.Count;
        sb.AppendLine(string.Create(Inv, $"Summary over {rounds} rounds (median (min-max)); each ratio is taken within one round:"));
        sb.AppendLine("| case | Update/floor | NaN check/floor | PyTorch best/its floor | speed-up over PyTorch's best, raw | floor-normalized | swap in+out/Update (chosen) | chosen, one sample | re-point swap/Update | exchange swap/Update |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (CaseSummary s in summaries)
        {
            string none = peerSkip ?? "-";
            sb.AppendLine(
                $"| {s.Case} | {s.Of(r => r.UpdateOverFloor).Format()} | {s.Of(r => r.NonFiniteCheckMs / r.FloorMs).Format()} | {s.PeerBestOverFloor?.Format() ?? none} | {s.SpeedUp?.Format() ?? none} | {s.FloorNormalizedSpeedUp?.Format() ?? none} | {s.Of(r => r.SwapOverUpdate).Format("0.000")} ({s.Rounds[0].SwapChosen}) | {s.Of(r => r.ChosenSwapOverUpdate).Format("0.000")} | {s.Of(r => r.RepointSwapOverUpdate).Format("0.000")} | {s.Of(r => r.ExchangeSwapOverUpdate).Format("0.000")} |");
        }

        sb.AppendLine();
        sb.AppendLine("Targets (judged on the median; the range is printed beside it):");
        foreach (CaseSummary s in summaries)
        {
            foreach ((string target, bool met, string measured) in Targets.Check(s))
            {
                sb.AppendLine($"  {(met ? "MET   " : "MISSED")} {s.Case}: {target} ({measured})");
            }
        }

        return sb.ToString();
    }

    public static string JsonLine(CaseResult r, PeerResult? peer, int round = 1)
    {
        var node = new JsonObject
        {
            ["round"] = round,
            ["case"] = r.Case,
            ["tensors"] = r.FloatingTensors,
            ["values"] = r.FloatingValues,
            ["update_ms"] = r.UpdateMs,
            ["floor_ms"] = r.FloorMs,
            ["nonfinite_check_ms"] = r.NonFiniteCheckMs,
            ["muladd_loop_ms"] = r.MulAddLoopMs,
            ["lerp_loop_ms"] = r.LerpLoopMs,
            ["update_over_floor"] = r.UpdateOverFloor,
            ["muladd_loop_over_update"] = r.MulAddLoopOverUpdate,
            ["lerp_loop_over_update"] = r.LerpLoopOverUpdate,
            ["swap_enter_ms"] = r.SwapEnterMs,
            ["swap_exit_ms"] = r.SwapExitMs,
            ["swap_over_update"] = r.SwapOverUpdate,
            ["swap_method"] = r.SwapChosen,
            ["chosen_swap_ms"] = r.ChosenSwapMs,
            ["repoint_swap_ms"] = r.RepointSwapMs,
            ["exchange_swap_ms"] = r.ExchangeSwapMs,
            ["ema_bytes"] = r.EmaBytes,
            ["model_floating_bytes"] = r.ModelFloatingBytes,
            ["ema_copies"] = r.EmaCopies,
            ["tensors_created_per_update"] = r.UpdateAllocations.TensorsCreated,
            ["live_tensor_delta_per_update"] = r.UpdateAllocations.LiveTensorDelta,
            ["managed_bytes_per_update"] = r.UpdateAllocations.ManagedBytes,
            ["tensors_created_per_swap_enter_exit"] = r.SwapAllocations.TensorsCreated,
            ["managed_bytes_per_swap_enter_exit"] = r.SwapAllocations.ManagedBytes,
            ["peak_rss_growth_bytes_3_updates"] = r.UpdatePeakRssGrowthBytes,
            ["leaked_tensors"] = r.LeakedTensors,
        };
        if (peer?.Find(r.Case) is { } c)
        {
            var peerNode = new JsonObject { ["torch"] = peer.TorchVersion, ["floor_ms"] = c.FloorMs };
            foreach ((string form, double ms) in c.Forms)
            {
                peerNode[form] = ms;
                peerNode["update_speedup_vs_" + form.Replace("_ms", string.Empty, StringComparison.Ordinal)] = ms / r.UpdateMs;
            }

            peerNode["floor_normalized_speedup_vs_best"] = c.Best.Ms / c.FloorMs / r.UpdateOverFloor;
            node["pytorch"] = peerNode;
        }

        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }
}
