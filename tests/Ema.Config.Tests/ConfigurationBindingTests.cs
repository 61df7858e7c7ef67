using System.Text;
using Microsoft.Extensions.Configuration;

namespace Ema.Config.Tests;

/// <summary>Binding from Microsoft.Extensions.Configuration: in-memory, JSON and command-line providers.</summary>
public sealed class ConfigurationBindingTests
{
    [Fact]
    public void In_memory_section_binds_with_invariant_culture_numbers()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ema_params:decay_type"] = "exp",
                ["ema_params:decay"] = "0.999",
                ["ema_params:beta"] = "12.5",
            })
            .Build();

        Assert.Equal(new ExpEmaParams(0.999, 12.5), DecaySchedules.FromConfiguration(configuration.GetSection("ema_params")));
    }

    [Fact]
    public void Json_file_configuration_binds_training_params()
    {
        const string json = """{"training_params": {"max_epochs": 3, "ema": true, "ema_params": {"decay_type": "threshold", "decay": 0.99}}}""";
        IConfiguration configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

        var loaded = TrainingParams.FromConfiguration(configuration.GetSection("training_params"));

        Assert.Equal(new TrainingParams { MaxEpochs = 3, Ema = true, EmaParams = new ThresholdEmaParams(0.99) }, loaded);
    }

    [Fact]
    public void Command_line_overrides_json_and_keys_are_case_insensitive()
    {
        const string json = """{"training_params": {"ema_params": {"decay_type": "exp", "beta": 15}}}""";
        IConfiguration configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            .AddCommandLine(["--training_params:ema_params:Beta=20", "--training_params:EMA=true"])
            .Build();

        var loaded = TrainingParams.FromConfiguration(configuration.GetSection("training_params"));

        Assert.Equal(new ExpEmaParams(beta: 20), loaded.EmaParams);
        Assert.True(loaded.Ema);
    }

    [Fact]
    public void Errors_name_the_configuration_path()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddCommandLine(["--ema_params:decay=0,9999"])
            .Build();

        var error = Assert.Throws<EmaConfigException>(() => DecaySchedules.FromConfiguration(configuration.GetSection("ema_params")));

        Assert.Equal("ema_params:decay", error.Key);
        Assert.Contains("ema_params:decay must be a number (invariant culture, for example 0.9999), but it is \"0,9999\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NaN_from_configuration_is_an_error()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ema_params:beta"] = "NaN" })
            .Build();

        var error = Assert.Throws<EmaConfigException>(() => DecaySchedules.FromConfiguration(configuration.GetSection("ema_params")));

        Assert.Equal("ema_params:beta", error.Key);
        Assert.Contains("ema_params:beta = NaN is not a finite number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_configuration_key_is_an_error_with_the_closest_key()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ema_params:decai"] = "0.9" })
            .Build();

        var error = Assert.Throws<EmaConfigException>(() => DecaySchedules.FromConfiguration(configuration.GetSection("ema_params")));

        Assert.Equal("ema_params:decai", error.Key);
        Assert.Contains("Did you mean \"decay\"?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_key_whose_constructor_parameter_has_no_default_is_an_error_naming_the_path()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddCommandLine(["--training_params:ema_params:decay_type=warm-hold", "--training_params:ema_params:floor=0.2"])
            .Build();

        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromConfiguration(configuration.GetSection("training_params")));

        Assert.Equal("training_params:ema_params:hold_steps", error.Key);
        Assert.Contains("training_params:ema_params:hold_steps is required for decay_type \"warm-hold\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_required_key_is_found_case_insensitively_and_keys_with_defaults_may_be_omitted()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddCommandLine(["--ema_params:decay_type=warm-hold", "--ema_params:Hold_Steps=7"])
            .Build();

        var loaded = DecaySchedules.FromConfiguration(configuration.GetSection("ema_params"));

        Assert.Equal(new WarmHoldEmaParams(holdSteps: 7, floor: 0.5), loaded);
    }

    [Fact]
    public void A_value_where_an_object_is_expected_is_an_error()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["training_params:ema_params"] = "exp" })
            .Build();

        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromConfiguration(configuration.GetSection("training_params")));

        Assert.Equal("training_params:ema_params", error.Key);
        Assert.Contains("must be an object", error.Message, StringComparison.Ordinal);
    }
}
