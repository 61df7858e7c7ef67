using Ema.Benchmarks;
using Ema.Benchmarks.Cases;
using Ema.Benchmarks.Measurement;
using Ema.Benchmarks.CompileCost;
using Ema.Benchmarks.Peer;
using Ema.Benchmarks.Reporting;
using Ema.Benchmarks.Smoke;
using TorchSharp;

// Usage: dotnet run --project bench/Ema.Benchmarks -c Release -- [--smoke | --compile-cost | --swap-costs | --check-candidates | --memory | --forms [--quick] | --checkpoints [--checkpoint-1gb]] [--no-peer] [--cases a,b,c] [--rounds 5]
const int Threads = 2;
torch.set_num_threads(Threads);

if (args.Contains("--smoke"))
{
    List<string> failures = SmokeCheck.Run();
    foreach (string failure in failures)
    {
        Console.Error.WriteLine("smoke FAILED: " + failure);
    }

    Console.WriteLine(failures.Count == 0 ? "smoke: all checks passed" : $"smoke: {failures.Count} check(s) failed");
    return failures.Count == 0 ? 0 : 1;
}

if (args.Contains("--memory"))
{
    return Ema.Benchmarks.Memory.MemoryFigures.Run();
}

if (args.Contains("--forms"))
{
    // Several EMAs of one model and the update cadence (docs/benchmarks.md, "Several EMAs and cadence").
    RunSettings settings = args.Contains("--quick") ? RunSettings.Smoke : RunSettings.Full with { Rounds = 11 };
    return FormsRunner.Run(settings, ShapeSets.ResNet50(), "ResNet-50, float32");
}

if (args.Contains("--checkpoints") || args.Contains("--checkpoint-1gb"))
{
    return Ema.Benchmarks.Checkpoints.CheckpointBench.Run(include1Gb: args.Contains("--checkpoint-1gb"));
}

if (args.Contains("--check-candidates"))
{
    return CheckCandidates.Run(int.Parse(ArgValue(args, "--rounds") ?? "15", System.Globalization.CultureInfo.InvariantCulture));
}

if (args.Contains("--swap-costs"))
{
    return SwapCosts.Run();
}

if (args.Contains("--compile-cost"))
{
    return CompileCostRunner.Run(args);
}

string[] only = ArgValue(args, "--cases")?.Split(',') ?? ["a", "b", "c"];
int rounds = int.Parse(ArgValue(args, "--rounds") ?? "5", System.Globalization.CultureInfo.InvariantCulture);
bool withPeer = !args.Contains("--no-peer");
CaseDefinition[] definitions = CaseDefinition.Full().Where(d => only.Contains(d.Name[..1])).ToArray();
var ema = definitions.ToDictionary(d => d.Name, _ => new List<CaseResult>());
var peerRounds = new List<PeerResult?>();
string? skip = withPeer ? null : "skipped: --no-peer";

// Ema's process and the peer's take turns, round after round, so that load from other processes falls on both
// alike; each ratio is taken within a round, and the summary gives the median and range over the rounds.
for (int round = 1; round <= rounds; round++)
{
    var results = new List<CaseResult>();
    foreach (CaseDefinition definition in definitions)
    {
        Console.Error.WriteLine($"round {round}/{rounds}: measuring {definition.Name} ...");
        results.Add(CaseRunner.Run(definition, RunSettings.Full));
        ema[definition.Name].Add(results[^1]);
    }

    PeerResult? peer = null;
    if (withPeer)
    {
        Console.Error.WriteLine($"round {round}/{rounds}: PyTorch peer ...");
        (peer, skip) = PytorchPeer.Run(ShapeSets.ResNet50Path, Threads, RunSettings.Full.Rounds);
    }

    peerRounds.Add(peer);
    Console.WriteLine(Report.RoundTable(round, results, peer, skip));
    foreach (CaseResult r in results)
    {
        Console.WriteLine(Report.JsonLine(r, peer, round));
    }

    Console.WriteLine();
}

Console.WriteLine($"Ema update benchmark: {Environment.ProcessorCount} cores, torch threads {torch.get_num_threads()}, {rounds} rounds of Ema then the PyTorch peer, medians of {RunSettings.Full.Rounds} samples within each");
var summaries = definitions.Select(d => new CaseSummary(d.Name, ema[d.Name], peerRounds.Select(p => p?.Find(d.Name)).ToList())).ToList();
Console.WriteLine(Report.Summary(summaries, skip));
return 0;

static string? ArgValue(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
