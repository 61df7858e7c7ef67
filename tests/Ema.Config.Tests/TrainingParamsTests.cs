namespace Ema.Config.Tests;

/// <summary>Training parameters: defaults, validation, unknown keys, files and round trips.</summary>
public sealed class TrainingParamsTests
{
    [Fact]
    public void Empty_object_gives_the_defaults_and_missing_ema_params_is_the_default_exp()
    {
        var loaded = TrainingParams.FromJson("{}");

        Assert.Equal(new TrainingParams(), loaded);
        Assert.Equal(new ExpEmaParams(0.9999, 15), loaded.EmaParams);
        Assert.Equal(1, loaded.MaxEpochs);
        Assert.False(loaded.Ema);
    }

    [Fact]
    public void SuperGradients_shaped_params_load()
    {
        var loaded = TrainingParams.FromJson("""{"max_epochs": 10, "batch_accumulate": 2, "initial_lr": 0.1, "ema": true, "ema_params": {"decay": 0.9999, "decay_type": "constant"}}""");

        Assert.Equal(new TrainingParams { MaxEpochs = 10, BatchAccumulate = 2, InitialLr = 0.1, Ema = true, EmaParams = new ConstantEmaParams() }, loaded);
    }

    [Fact]
    public void Unknown_top_level_key_names_the_closest_known_key()
    {
        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromJson("""{"max_epoch": 3}"""));

        Assert.Equal("max_epoch", error.Key);
        Assert.Contains("max_epoch is not a known training key", error.Message, StringComparison.Ordinal);
        Assert.Contains("Did you mean \"max_epochs\"?", error.Message, StringComparison.Ordinal);
        Assert.Contains("max_epochs, batch_accumulate, initial_lr, ema, ema_params", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"max_epochs": 0}""", "max_epochs", "max_epochs = 0 is outside the allowed range: max_epochs must be at least 1")]
    [InlineData("""{"batch_accumulate": -2}""", "batch_accumulate", "batch_accumulate = -2 is outside the allowed range: batch_accumulate must be at least 1")]
    [InlineData("""{"initial_lr": 0}""", "initial_lr", "initial_lr = 0 is outside the allowed range: initial_lr must be a finite number > 0")]
    [InlineData("""{"ema": "yes"}""", "ema", "ema must be true or false, but it is a string (\"yes\")")]
    [InlineData("""{"ema_params": {"decay": 2}}""", "ema_params.decay", "ema_params.decay = 2 is outside the allowed range")]
    [InlineData("""{"ema_params": {"decay_type": "exp", "beta": 0}}""", "ema_params.beta", "ema_params.beta = 0 is outside the allowed range: beta must be > 0")]
    [InlineData("""{"ema_params": null}""", "ema_params", "ema_params is null; it must be an object")]
    public void Invalid_values_name_the_full_key_and_the_allowed_values(string json, string key, string expected)
    {
        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromJson(json));

        Assert.Equal(key, error.Key);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_applies_to_records_built_in_code()
    {
        Assert.Equal("MaxEpochs", Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new TrainingParams { MaxEpochs = 0 }).ParamName);
        Assert.Equal("InitialLr", Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new TrainingParams { InitialLr = double.PositiveInfinity }).ParamName);
        Assert.Throws<ArgumentNullException>(() => new TrainingParams { EmaParams = null! });
    }

    [Fact]
    public void ToJson_round_trips()
    {
        var original = new TrainingParams { MaxEpochs = 7, BatchAccumulate = 3, InitialLr = 0.003, Ema = true, EmaParams = new WarmCosineEmaParams(0.99, warmupSteps: 5) };

        Assert.Equal(original, TrainingParams.FromJson(original.ToJson()));
    }

    [Fact]
    public void File_errors_name_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ema-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"ema_params": {"decay_type": "constnt"}}""");
        try
        {
            var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromFile(path));

            Assert.StartsWith(path + ": ema_params.decay_type = \"constnt\"", error.Message, StringComparison.Ordinal);
            Assert.Contains("Did you mean \"constant\"?", error.Message, StringComparison.Ordinal);
            Assert.Equal("ema_params.decay_type", error.Key);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_file_is_a_config_error_naming_it()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ema-missing-{Guid.NewGuid():N}.json");

        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromFile(path));

        Assert.StartsWith(path + ": cannot read the training params file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_file_loads()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ema-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"ema": true, "ema_params": {"decay_type": "threshold", "beta": 15}}""");
        var warnings = new List<string>();
        try
        {
            var loaded = TrainingParams.FromFile(path, new ListLogger(warnings));

            Assert.Equal(new ThresholdEmaParams(), loaded.EmaParams);
            Assert.StartsWith(path + ": ema_params.beta is ignored", Assert.Single(warnings), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
