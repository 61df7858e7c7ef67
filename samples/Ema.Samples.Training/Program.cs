using Ema;
using Ema.Samples.Training;
using TorchSharp;
using static TorchSharp.torch;

manual_seed(0);
set_num_threads(2);
var (xTrain, yTrain) = SyntheticData.Spirals(6000, 0.4, 1);
var (xVal, yVal) = SyntheticData.Spirals(1500, 0.0, 2);
var model = nn.Sequential(("fc1", nn.Linear(2, 128)), ("act1", nn.ReLU()), ("fc2", nn.Linear(128, 128)), ("act2", nn.ReLU()), ("fc3", nn.Linear(128, 3)));
var optimizer = optim.SGD(model.parameters(), double.Parse(args[0]), momentum: 0.9);
int epochs = int.Parse(args[1]);
var sw = System.Diagnostics.Stopwatch.StartNew();
var batchesPerEpoch = 6000 / 64;
var ema = new ModelEma(model, new ExpEmaParams(double.Parse(args[2]), 15));
long step = 0;
for (int e = 1; e <= epochs; e++)
{
    foreach (var (x, y) in SyntheticData.Batches(xTrain, yTrain, 64, e))
    {
        using var scope = NewDisposeScope();
        var loss = nn.functional.cross_entropy(model.call(x), y);
        optimizer.zero_grad(); loss.backward(); optimizer.step();
        ema.Update(++step, (long)batchesPerEpoch * epochs);
    }
    double Acc() { using var _ = no_grad(); using var s = NewDisposeScope(); return model.call(xVal).argmax(1).eq(yVal).to(ScalarType.Float32).mean().item<float>(); }
    double raw = Acc(); double em; using (ema.UseEmaWeights()) em = Acc();
    Console.WriteLine($"epoch {e} raw {raw:F4} ema {em:F4} {sw.Elapsed.TotalSeconds:F1}s");
}
