using static TorchSharp.torch;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// A model's ownership (the claim its EMAs hold on its tensors) lives exactly as long as its last ModelEma, and a twin's
/// claim as long as its binding: afterwards the model is an ordinary module again, for every rule that asks.
/// </summary>
public sealed class OwnershipLifetimeTests
{
    [Fact]
    public void The_claim_on_a_model_lasts_until_its_last_EMA_is_disposed()
    {
        using var model = new LinearBatchNorm();
        nn.Module part = model.named_children().First().module;
        var first = new ModelEma(model, new ConstantEmaParams(0.5));
        var second = new ModelEma(model, new ConstantEmaParams(0.9));

        first.Dispose();
        var stillOwned = Assert.Throws<InvalidOperationException>(() => new ModelEma(part, new ConstantEmaParams(0.5)));
        Assert.Contains("a part (or a parent) of a model", stillOwned.Message, StringComparison.Ordinal);

        second.Dispose();
        using var ofPart = new ModelEma(part, new ConstantEmaParams(0.5));
        Assert.Equal(part.state_dict().Count, ofPart.EmaWeights.Count);
    }

    [Fact]
    public void A_model_whose_EMAs_are_gone_may_be_bound_as_a_twin()
    {
        using var teacherSource = new LinearBatchNorm();
        using var other = new LinearBatchNorm();
        using var ema = new ModelEma(teacherSource, new ConstantEmaParams(0.5));
        new ModelEma(other, new ConstantEmaParams(0.5)).Dispose();

        using TwinBinding binding = ema.BindTwin(other);

        AssertSame(Snapshot(ema.EmaWeights), Snapshot(other));
    }

    [Fact]
    public void A_twin_is_written_normally_once_its_binding_is_disposed_and_never_while_bound()
    {
        using var dir = new TempDir();
        string path = dir.File("weights.safetensors");
        using var saved = new LinearBatchNorm();
        Checkpoint.Save(path, saved);
        using var model = new LinearBatchNorm();
        using var twin = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        TwinBinding binding = ema.BindTwin(twin);
        Dictionary<string, float[]> emaBefore = Snapshot(ema.EmaWeights);

        var refused = Assert.Throws<InvalidOperationException>(() => Checkpoint.LoadForInference(twin, path));
        Assert.Contains("bound as the twin", refused.Message, StringComparison.Ordinal);
        AssertSame(emaBefore, Snapshot(ema.EmaWeights));

        binding.Dispose();
        Checkpoint.LoadForInference(twin, path);
        AssertSame(Snapshot(saved), Snapshot(twin));
        AssertSame(emaBefore, Snapshot(ema.EmaWeights));
    }
}
