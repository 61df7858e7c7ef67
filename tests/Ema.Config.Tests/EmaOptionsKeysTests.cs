namespace Ema.Config.Tests;

/// <summary>
/// The EMA's option keys (ema_update_every, ema_switch_every, ema_switch_blend, ema_batch_scale) load into
/// TrainingParams.EmaOptions, the one record of the EMA's options, under ModelEmaOptions' ranges.
/// </summary>
public sealed class EmaOptionsKeysTests
{
    private const string AllFour = """{"ema": true, "ema_update_every": 2, "ema_switch_every": 4, "ema_switch_blend": 0.25, "ema_batch_scale": 3}""";

    [Fact]
    public void The_four_keys_load_into_EmaOptions_and_round_trip()
    {
        TrainingParams loaded = TrainingParams.FromJson(AllFour);

        Assert.Equal(new ModelEmaOptions { UpdateEvery = 2, SwitchEvery = 4, SwitchBlend = 0.25, BatchScale = 3 }, loaded.EmaOptions);
        Assert.Equal(loaded, TrainingParams.FromJson(loaded.ToJson()));
        string json = loaded.ToJson();
        Assert.Contains("\"ema_update_every\": 2,\n  \"ema_switch_every\": 4,\n  \"ema_switch_blend\": 0.25,\n  \"ema_batch_scale\": 3,", json.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Code_only_options_are_not_written_and_null_is_refused()
    {
        TrainingParams loaded = TrainingParams.FromJson(AllFour);
        TrainingParams withCodeOnly = loaded with { EmaOptions = loaded.EmaOptions with { NonFinite = NonFinitePolicy.Throw, TotalSteps = 10 } };

        Assert.Equal(loaded.ToJson(), withCodeOnly.ToJson());
        Assert.Equal(NonFinitePolicy.Skip, TrainingParams.FromJson(withCodeOnly.ToJson()).EmaOptions.NonFinite);
        Assert.Equal("EmaOptions", Assert.Throws<ArgumentNullException>(() => new TrainingParams { EmaOptions = null! }).ParamName);
    }

    [Theory]
    [InlineData("ema_update_every", "0", "UpdateEvery", "at least 1")]
    [InlineData("ema_switch_every", "-1", "SwitchEvery", "at least 0 (0 never switches)")]
    [InlineData("ema_switch_blend", "1.5", "SwitchBlend", "in (0, 1]")]
    [InlineData("ema_batch_scale", "0", "BatchScale", "a finite number > 0")]
    public void A_key_and_its_option_refuse_the_same_values_with_the_same_rule(string key, string value, string option, string allowed)
    {
        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromJson($$"""{"{{key}}": {{value}}}"""));

        Assert.Equal(key, error.Key);
        Assert.Contains($"{key} = {value} is outside the allowed range: {key} must be {allowed}.", error.Message, StringComparison.Ordinal);
        Assert.IsNotType<ArgumentOutOfRangeException>(error.InnerException);

        double number = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        var setter = Assert.ThrowsAny<ArgumentOutOfRangeException>(() => option switch
        {
            "UpdateEvery" => new ModelEmaOptions { UpdateEvery = (int)number },
            "SwitchEvery" => new ModelEmaOptions { SwitchEvery = (long)number },
            "SwitchBlend" => new ModelEmaOptions { SwitchBlend = number },
            _ => new ModelEmaOptions { BatchScale = number },
        });
        Assert.Equal(option, setter.ParamName);
        Assert.StartsWith($"ModelEmaOptions.{option} = {value} is outside the allowed range: it must be {allowed}.", setter.Message, StringComparison.Ordinal);
    }
}
