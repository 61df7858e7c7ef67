using Ema;
using Ema.Samples.CustomSchedule;
using TorchSharp;

// 1. The typed record the generator made from LinearDecay: checked by the compiler (decay must lie in (0, 1)).
var typed = new LinearEmaParams(decay: 0.9999);

// 2. The same schedule from a SuperGradients-shaped config: found by name, no registration code.
EmaParams fromJson = DecaySchedules.FromJson("""{"decay": 0.999, "decay_type": "linear"}""");

Console.WriteLine($"Registered schedules: {string.Join(", ", DecaySchedules.Names)}");
Console.WriteLine($"From JSON: {fromJson.GetType().Name}, {fromJson.ToJson()}");

const long totalSteps = 1000;
Console.WriteLine("step   typed (0.9999)   from JSON (0.999)");
foreach (long step in new long[] { 0, 1, 250, 500, 999 })
{
    Console.WriteLine($"{step,4}   {DecaySchedules.Compute(typed, step, totalSteps),14:F6}   {DecaySchedules.Compute(fromJson, step, totalSteps),17:F6}");
}

// 3. A tiny model to average.
using var model = torch.nn.Linear(4, 2);
Console.WriteLine($"Model: Linear(4, 2) with {model.parameters().Sum(p => p.numel())} parameters");

// 4. The EMA of the model with the custom schedule: a few SGD steps towards a fixed target.
using var ema = new ModelEma(model, fromJson);
using var optimizer = torch.optim.SGD(model.parameters(), 0.1);
using var input = torch.randn(32, 4);
using var target = torch.randn(32, 2);
const long trainingSteps = 20;
for (long step = 1; step <= trainingSteps; step++)
{
    using var scope = torch.NewDisposeScope();
    var loss = torch.nn.functional.mse_loss(model.call(input), target);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    ema.Update(step, trainingSteps);
}

Console.WriteLine($"After {trainingSteps} steps the linear schedule's decay is {ema.LastDecay:F4} (= 0.999 * {trainingSteps}/{trainingSteps})");
ema.CopyToModel();
Console.WriteLine("The model now holds the EMA weights.");
