namespace Ema.Config.Tests;

/// <summary>The <c>checkpoint_format</c> training key: the trainer's checkpoint files.</summary>
public sealed class CheckpointFormatKeyTests
{
    [Theory]
    [InlineData("""{"max_epochs": 2}""", CheckpointFormat.Safetensors)]
    [InlineData("""{"checkpoint_format": "pth"}""", CheckpointFormat.Pth)]
    [InlineData("""{"checkpoint_format": "Safetensors"}""", CheckpointFormat.Safetensors)]
    public void The_key_chooses_the_format_and_round_trips(string json, CheckpointFormat expected)
    {
        TrainingParams loaded = TrainingParams.FromJson(json);
        Assert.Equal(expected, loaded.CheckpointFormat);
        Assert.Equal(loaded, TrainingParams.FromJson(loaded.ToJson()));
        Assert.Equal(expected == CheckpointFormat.Pth ? "ckpt_latest.pth" : "ckpt_latest.safetensors", Checkpoint.LatestFileNameOf(loaded.CheckpointFormat));
    }

    [Fact]
    public void An_unknown_format_names_the_key_the_value_and_the_allowed_ones()
    {
        var e = Assert.Throws<EmaConfigException>(() => TrainingParams.FromJson("""{"checkpoint_format": "onnx"}"""));
        Assert.Contains("checkpoint_format", e.Message, StringComparison.Ordinal);
        Assert.Contains("onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("Pth", e.Message, StringComparison.Ordinal);
    }
}
