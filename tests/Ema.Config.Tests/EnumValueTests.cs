using Microsoft.Extensions.Configuration;

namespace Ema.Config.Tests;

/// <summary>
/// Every enum value in config (a training key such as <c>checkpoint_format</c>, or a schedule's enum parameter)
/// is one whole name: never a flags list, a number or a padded name, which Enum.TryParse would quietly turn into
/// some value.
/// </summary>
public sealed class EnumValueTests
{
    [Theory]
    [InlineData("safetensors, pth")]
    [InlineData("pth,safetensors")]
    [InlineData("Safetensors, Safetensors")]
    [InlineData(" pth")]
    [InlineData("pth ")]
    [InlineData("1")]
    [InlineData("")]
    public void A_checkpoint_format_that_is_not_one_whole_name_is_refused_naming_the_key_value_and_names(string value)
    {
        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromJson($$"""{"checkpoint_format": "{{value}}"}"""));
        Assert.Equal("checkpoint_format", error.Key);
        Assert.Contains($"checkpoint_format = \"{value}\" is not one of: Safetensors, Pth", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flags_list_from_configuration_is_refused_too()
    {
        IConfiguration section = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["training_params:checkpoint_format"] = "safetensors, pth" })
            .Build()
            .GetSection("training_params");
        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromConfiguration(section));
        Assert.Contains("safetensors, pth", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schedule_enum_parameter_takes_one_whole_name_only()
    {
        var error = Assert.Throws<EmaConfigException>(() => DecaySchedules.FromJson("""{"decay_type": "warm-cosine", "shape": "Linear, Cosine"}"""));
        Assert.Equal("shape", error.Key);
        Assert.Contains("shape = \"Linear, Cosine\" is not one of: Linear, Cosine", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pth", CheckpointFormat.Pth)]
    [InlineData("PTH", CheckpointFormat.Pth)]
    [InlineData("safetensors", CheckpointFormat.Safetensors)]
    public void A_whole_name_in_any_case_is_read(string value, CheckpointFormat expected) =>
        Assert.Equal(expected, TrainingParams.FromJson($$"""{"checkpoint_format": "{{value}}"}""").CheckpointFormat);
}
