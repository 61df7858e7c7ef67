namespace Ema.Config.Tests;

/// <summary>The training_params key ema_update_every (ModelEmaOptions.UpdateEvery).</summary>
public sealed class EmaUpdateEveryKeyTests
{
    [Fact]
    public void The_key_loads_defaults_to_1_and_round_trips()
    {
        TrainingParams loaded = TrainingParams.FromJson("""{"ema": true, "ema_update_every": 4}""");

        Assert.Equal(4, loaded.EmaOptions.UpdateEvery);
        Assert.Equal(1, TrainingParams.FromJson("{}").EmaOptions.UpdateEvery);
        Assert.Equal(loaded, TrainingParams.FromJson(loaded.ToJson()));
        Assert.Contains("\"ema_update_every\": 4", loaded.ToJson(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"ema_update_every": 0}""", "ema_update_every = 0 is outside the allowed range: ema_update_every must be at least 1")]
    [InlineData("""{"ema_update_every": 2.5}""", "ema_update_every")]
    public void Bad_values_are_errors_naming_the_key(string json, string message)
    {
        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromJson(json));

        Assert.Equal("ema_update_every", error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
