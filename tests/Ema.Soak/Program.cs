using System.Globalization;
using Ema;
using Ema.Soak;
using static TorchSharp.torch;

// Usage: Ema.Soak [updates] [--leak-every N]. Prints one "sample ..." line per memory sample and one "updates=..."
// summary line, all key=value, for SoakTests to judge. --leak-every N keeps one small tensor alive every N updates:
// a deliberate leak, so that a test can show the soak's verdict catches one.
int updates = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
int leakIndex = Array.IndexOf(args, "--leak-every");
int leakEvery = leakIndex >= 0 ? int.Parse(args[leakIndex + 1], CultureInfo.InvariantCulture) : 0;
manual_seed(90);
using var model = nn.Sequential(("linear", nn.Linear(3, 4)), ("bn", nn.BatchNorm1d(4)));
using var ema = new ModelEma(model, new ExpEmaParams());
var soak = new SoakRun(model, ema, totalSteps: updates + SoakRun.UpdatesOutsideTheRun, leakEvery);
SoakFigures figures = soak.Run(updates);
foreach (string line in figures.ToLines())
{
    Console.WriteLine(line);
}

return 0;
