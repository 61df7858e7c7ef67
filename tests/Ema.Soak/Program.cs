using System.Globalization;
using Ema;
using Ema.Soak;
using static TorchSharp.torch;

// Usage: Ema.Soak [updates]. Prints one line of "key=value" figures for SoakTests to judge.
int updates = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
manual_seed(90);
using var model = nn.Sequential(("linear", nn.Linear(3, 4)), ("bn", nn.BatchNorm1d(4)));
using var ema = new ModelEma(model, new ExpEmaParams());
var soak = new SoakRun(model, ema, totalSteps: updates + SoakRun.UpdatesOutsideTheRun);
SoakFigures figures = soak.Run(updates);
Console.WriteLine(figures.ToLine());
return 0;
