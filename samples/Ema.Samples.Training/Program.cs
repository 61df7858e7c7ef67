// Minimal EMA training loop (the Training lifecycle and Main job issues grow this into the full sample):
// a noisy regression task, SGD with a high learning rate, and the EMA of the weights beside the raw ones.
using Ema;
using TorchSharp;
using static TorchSharp.torch;

manual_seed(0);
const int Steps = 300;
using Tensor trueWeight = tensor(new float[] { 2.0f, -3.0f, 0.5f, 1.0f }).reshape(4, 1);
using var model = nn.Sequential(("linear", nn.Linear(4, 1)));
using var optimizer = optim.SGD(model.parameters(), learningRate: 0.2);
using var ema = new ModelEma(model, new ExpEmaParams(decay: 0.99, beta: 15));
using Tensor validationX = randn(512, 4);
using Tensor validationY = validationX.matmul(trueWeight);

for (int step = 1; step <= Steps; step++)
{
    using var scope = NewDisposeScope();
    Tensor x = randn(16, 4);
    Tensor y = x.matmul(trueWeight) + (randn(16, 1) * 2.0); // label noise makes the raw weights jitter
    Tensor loss = nn.functional.mse_loss(model.call(x), y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    ema.Update(step, Steps);

    if (step % 50 == 0)
    {
        double raw = ValidationLoss();
        double averaged;
        using (ema.UseEmaWeights())
        {
            averaged = ValidationLoss();
        }

        Console.WriteLine($"step {step,4}  decay {ema.LastDecay:F4}  validation loss: raw {raw:F4}  ema {averaged:F4}");
    }
}

ema.CopyToModel();
Console.WriteLine($"final model (EMA weights): validation loss {ValidationLoss():F4}");

double ValidationLoss()
{
    using var _ = no_grad();
    using Tensor prediction = model.call(validationX);
    using Tensor loss = nn.functional.mse_loss(prediction, validationY);
    return loss.item<float>();
}
