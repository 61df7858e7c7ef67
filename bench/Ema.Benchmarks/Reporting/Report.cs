using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ema.Benchmarks.Peer;

namespace Ema.Benchmarks.Reporting;

/// <summary>Prints the readable table and one JSON line per case.</summary>
internal static class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Table(IReadOnlyList<CaseResult> results, PeerResult? peer, string? peerSkip)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| case | tensors | values | Update ms | floor ms | Update/floor | NaN-check sum ms | mul_+add_ loop ms | lerp_ loop ms | mul-add loop/Update | lerp loop/Update | swap enter us | swap exit us | swap/Update | EMA MB | EMA copies | tensors/update | managed B/update | tensors/swap | peak RSS +MB/3 updates |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (CaseResult r in results)
        {
            sb.AppendLine(string.Create(Inv,
                $"| {r.Case} | {r.FloatingTensors} | {r.FloatingValues:N0} | {r.UpdateMs:0.000} | {r.FloorMs:0.000} | {r.UpdateOverFloor:0.00} | {r.NonFiniteCheckMs:0.000} | {r.MulAddLoopMs:0.000} | {r.LerpLoopMs:0.000} | {r.MulAddLoopOverUpdate:0.00} | {r.LerpLoopOverUpdate:0.00} | {r.SwapEnterMs * 1000:0.0} | {r.SwapExitMs * 1000:0.0} | {r.SwapOverUpdate * 100:0.00}% | {r.EmaBytes / 1e6:0.0} | {r.EmaCopies:0.00} | {r.UpdateAllocations.TensorsCreated:0.##} | {r.UpdateAllocations.ManagedBytes:0} | {r.SwapAllocations.TensorsCreated:0.##} | {(r.UpdatePeakRssGrowthBytes ?? -1) / 1e6:0.0} |"));
        }

        sb.AppendLine();
        if (peer is null)
        {
            sb.AppendLine($"PyTorch peer: {peerSkip}");
        }
        else
        {
            sb.AppendLine($"PyTorch peer: torch {peer.TorchVersion} ({peer.Python}); ms per update, and Ema's Update speed-up over each");
            sb.AppendLine("| case | lerp_ loop ms | _foreach mul/add ms | SuperGradients ms | Update ms | speed-up vs lerp loop | vs foreach | vs SG | vs best |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (CaseResult r in results)
            {
                if (!peer.Cases.TryGetValue(r.Case, out var forms))
                {
                    continue;
                }

                double lerp = forms["lerp_loop_ms"], fe = forms["foreach_ms"], sg = forms["sg_ms"];
                sb.AppendLine(string.Create(Inv,
                    $"| {r.Case} | {lerp:0.000} | {fe:0.000} | {sg:0.000} | {r.UpdateMs:0.000} | {lerp / r.UpdateMs:0.0}x | {fe / r.UpdateMs:0.0}x | {sg / r.UpdateMs:0.0}x | {Math.Min(lerp, fe) / r.UpdateMs:0.0}x |"));
            }
        }

        sb.AppendLine();
        sb.AppendLine("Targets:");
        foreach (CaseResult r in results)
        {
            foreach ((string target, bool met, string measured) in Targets.Check(r, peer?.Best(r.Case)?.Ms))
            {
                sb.AppendLine($"  {(met ? "MET   " : "MISSED")} {r.Case}: {target} ({measured})");
            }
        }

        return sb.ToString();
    }

    public static string JsonLine(CaseResult r, PeerResult? peer)
    {
        var node = new JsonObject
        {
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
        if (peer is not null && peer.Cases.TryGetValue(r.Case, out var forms))
        {
            var peerNode = new JsonObject { ["torch"] = peer.TorchVersion };
            foreach ((string form, double ms) in forms)
            {
                peerNode[form] = ms;
                peerNode["update_speedup_vs_" + form.Replace("_ms", string.Empty, StringComparison.Ordinal)] = ms / r.UpdateMs;
            }

            node["pytorch"] = peerNode;
        }

        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }
}
