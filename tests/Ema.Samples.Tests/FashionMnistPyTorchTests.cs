using System.Globalization;
using System.Text.Json;
using Ema.Samples.Training;
using Ema.Samples.Training.FashionMnist;
using TorchSharp;

namespace Ema.Samples.Tests;

/// <summary>
/// Train in .NET, deploy in PyTorch, and the other way round: the Fashion-MNIST network's weights move between the two
/// frameworks as .pth files and evaluate to the same test accuracy (Debian's python3-torch 1.13 runs
/// bench/fashion_mnist_peer.py).
/// </summary>
[Collection(SamplesCollection.Name)]
public sealed class FashionMnistPyTorchTests : IDisposable
{
    /// <summary>
    /// Two of the 1,000 test images evaluated: the frameworks' convolutions sum in different orders (libtorch 2.10 against
    /// 1.13), so an image whose two best logits differ by a rounding error may go either way; a wrong or missing weight
    /// costs far more.
    /// </summary>
    private const double Tolerance = 0.002;

    private const int TestImages = 1000;

    private readonly string _output = Path.Combine(Path.GetTempPath(), "ema-fmnist-torch-" + Guid.NewGuid().ToString("N"));

    [FashionMnistAndPyTorchFact]
    public void The_ema_net_of_a_run_evaluates_in_PyTorch_to_the_accuracy_Ema_reported()
    {
        var smoke = new FashionMnistSampleTests();
        try
        {
            string config = smoke.WriteConfig(decay: 0.9);
            var console = new StringWriter();
            int exitCode = TrainingApp.Run([config, "--data", "fashion-mnist", "--train-subset", "2000", "--test-subset", "1000", "--epochs", "1", "--out", _output], console, interactive: false);
            Assert.True(exitCode == 0, console.ToString());
            (double raw, double ema) = FashionMnistSampleTests.FinalAccuracies(console.ToString());
            string checkpoint = Path.Combine(_output, "ckpt_best.pth");

            // The two entries hold different weights (so reading the wrong one could not pass unnoticed, even where the
            // two accuracies happen to coincide on the test subset), and each evaluates in PyTorch as Ema reported it.
            Assert.False(SameWeights(checkpoint), "ema_net and net hold the same weights: the check could not tell them apart");
            double emaInPyTorch = Evaluate(checkpoint, "ema_net");
            double rawInPyTorch = Evaluate(checkpoint, "net");

            Assert.True(Math.Abs(emaInPyTorch - ema) <= Tolerance, $"ema_net in PyTorch: {emaInPyTorch}, Ema reported {ema}");
            Assert.True(Math.Abs(rawInPyTorch - raw) <= Tolerance, $"net in PyTorch: {rawInPyTorch}, Ema reported {raw}");
        }
        finally
        {
            smoke.Dispose();
        }
    }

    [FashionMnistAndPyTorchFact]
    public void Weights_PyTorch_trained_evaluate_in_Ema_to_the_accuracy_PyTorch_reported()
    {
        Directory.CreateDirectory(_output);
        torch.manual_seed(7);
        using (var initial = FashionCnn.Create())
        {
            Checkpoint.Save(Path.Combine(_output, "init.pth"), initial);
        }

        const int subset = 1024;
        File.WriteAllText(Path.Combine(_output, "order.txt"), string.Join(' ', EpochOrderBatches.Permutation(subset, seed: 7, epoch: 0)));
        using JsonDocument trained = PyTorchScript.Run("train", "--data-dir", FashionMnistData.DefaultDirectory, "--init", Path.Combine(_output, "init.pth"),
            "--order", Path.Combine(_output, "order.txt"), "--epochs", "1", "--train-subset", subset.ToString(CultureInfo.InvariantCulture),
            "--test-subset", "1000", "--lr", "0.05", "--decay", "0.9", "--save-prefix", Path.Combine(_output, "torch_"));
        JsonElement lastEpoch = trained.RootElement.GetProperty("epochs")[0];

        foreach ((string file, string form) in new[] { ("torch_raw.pth", "raw"), ("torch_ema.pth", "foreach") })
        {
            using var model = FashionCnn.Create();
            Assert.Equal("net", Checkpoint.LoadForInference(model, Path.Combine(_output, file))); // a plain state dict
            using FashionMnistData data = FashionMnistData.Load(FashionMnistData.DefaultDirectory, trainSubset: 1, testSubset: TestImages);
            double inEma = TrainingApp.Validate(model, data.TestBatches(TrainingApp.FashionTestBatchSize));

            double reported = lastEpoch.GetProperty(form).GetDouble();
            Assert.True(Math.Abs(inEma - reported) <= Tolerance, $"{file}: Ema {inEma}, PyTorch reported {reported}");
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    private static bool SameWeights(string checkpoint)
    {
        using var ema = FashionCnn.Create();
        using var raw = FashionCnn.Create();
        Checkpoint.LoadForInference(ema, checkpoint, CheckpointWeights.Ema);
        Checkpoint.LoadForInference(raw, checkpoint, CheckpointWeights.Raw);
        Dictionary<string, torch.Tensor> rawState = raw.state_dict();
        return ema.state_dict().All(p => !p.Value.is_floating_point() || p.Value.eq(rawState[p.Key]).all().item<bool>());
    }

    private static double Evaluate(string weights, string key)
    {
        using JsonDocument result = PyTorchScript.Run("evaluate", "--data-dir", FashionMnistData.DefaultDirectory, "--weights", weights, "--key", key,
            "--test-subset", TestImages.ToString(CultureInfo.InvariantCulture));
        return result.RootElement.GetProperty("accuracy").GetDouble();
    }
}
