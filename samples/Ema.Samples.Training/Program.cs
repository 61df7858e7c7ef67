// The main job: `dotnet run --project samples/Ema.Samples.Training -c Release [-- config.json --device cpu|cuda --out DIR --data spirals|fashion-mnist --benchmark]` (see SampleArguments.Usage).
using Ema.Samples.Training;

return TrainingApp.Run(args, Console.Out, interactive: !Console.IsOutputRedirected);
