using Microsoft.Extensions.Configuration;

namespace Ema.Config.Tests;

/// <summary>
/// The EMA's option keys together: ema_switch_every must be a multiple of ema_update_every (a switch falls after
/// an update). Loaded, the pair is refused naming the keys; before, it loaded and training failed later with
/// "ModelEmaOptions.SwitchEvery = 3 is not a multiple of UpdateEvery = 2", in code names the config never used.
/// </summary>
public sealed class EmaOptionsConsistencyTests
{
    [Fact]
    public void A_switch_cadence_that_is_no_multiple_of_the_update_cadence_is_refused_at_load_naming_both_keys()
    {
        var error = Assert.Throws<EmaConfigException>(() =>
            TrainingParams.FromJson("""{"ema": true, "ema_update_every": 2, "ema_switch_every": 3}"""));

        Assert.Equal("ema_switch_every", error.Key);
        Assert.Contains("ema_switch_every = 3 is not a multiple of ema_update_every = 2", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ModelEmaOptions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_rule_holds_for_a_configuration_section_with_its_full_key()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["training_params:ema"] = "true",
                ["training_params:ema_update_every"] = "4",
                ["training_params:ema_switch_every"] = "6",
            })
            .Build();

        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromConfiguration(configuration.GetSection("training_params")));

        Assert.Equal("training_params:ema_switch_every", error.Key);
        Assert.Contains("training_params:ema_switch_every = 6 is not a multiple of training_params:ema_update_every = 4", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"ema_update_every": 2, "ema_switch_every": 4}""")]
    [InlineData("""{"ema_update_every": 3, "ema_switch_every": 0}""")]
    public void Multiples_and_no_switch_load(string json)
    {
        TrainingParams loaded = TrainingParams.FromJson(json);
        Assert.Equal(0, loaded.EmaOptions.SwitchEvery % loaded.EmaOptions.UpdateEvery);
    }
}
