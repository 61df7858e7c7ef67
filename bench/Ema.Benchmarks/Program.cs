using Ema.Benchmarks;
using Ema.Benchmarks.Cases;
using Ema.Benchmarks.CompileCost;
using Ema.Benchmarks.Peer;
using Ema.Benchmarks.Reporting;
using Ema.Benchmarks.Smoke;
using TorchSharp;

// Usage: dotnet run --project bench/Ema.Benchmarks -c Release -- [--smoke | --compile-cost | --memory | --forms [--quick] | --checkpoints [--checkpoint-1gb]] [--no-peer] [--cases a,b,c]
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

if (args.Contains("--compile-cost"))
{
    return CompileCostRunner.Run(args);
}

string[] only = ArgValue(args, "--cases")?.Split(',') ?? ["a", "b", "c"];
var results = new List<CaseResult>();
foreach (CaseDefinition definition in CaseDefinition.Full().Where(d => only.Contains(d.Name[..1])))
{
    Console.Error.WriteLine($"measuring {definition.Name} ...");
    results.Add(CaseRunner.Run(definition, RunSettings.Full));
}

(PeerResult? peer, string? skip) = args.Contains("--no-peer")
    ? (null, "skipped: --no-peer")
    : PytorchPeer.Run(ShapeSets.ResNet50Path, Threads, RunSettings.Full.Rounds);

Console.WriteLine($"Ema update benchmark: {Environment.ProcessorCount} cores, torch threads {torch.get_num_threads()}, medians of {RunSettings.Full.Rounds} rounds");
Console.WriteLine(Report.Table(results, peer, skip));
foreach (CaseResult r in results)
{
    Console.WriteLine(Report.JsonLine(r, peer));
}

return 0;

static string? ArgValue(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
