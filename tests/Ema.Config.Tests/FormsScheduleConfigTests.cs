using System.Text.Json;

namespace Ema.Config.Tests;

/// <summary>The warmup, tau and power schedules loaded by name from JSON: reference values, defaults and range errors.</summary>
public sealed class FormsScheduleConfigTests
{
    [Fact]
    public void Every_reference_case_loaded_from_its_json_matches()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", "decay_schedules_forms.json")));
        int checkedCases = 0;
        foreach (JsonElement item in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            // The case itself, minus what is not a config key, is the ema_params object.
            var keys = item.EnumerateObject().Where(p => p.Name is not ("step" or "total_steps" or "expected" or "gamma"));
            string json = "{" + string.Join(", ", keys.Select(p => $"\"{p.Name}\": {p.Value.GetRawText()}")) + "}";
            EmaParams parameters = DecaySchedules.FromJson(json);
            double expected = item.GetProperty("expected").GetDouble();
            double relative = parameters.DecayType == "power" ? 1e-9 : 1e-12;

            double actual = DecaySchedules.Compute(parameters, item.GetProperty("step").GetInt64(), item.GetProperty("total_steps").GetInt64());

            Assert.Equal(item.GetProperty("decay_type").GetString(), parameters.DecayType);
            Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"{json}: expected {expected:R}, got {actual:R}");
            Assert.Equal(parameters, DecaySchedules.FromJson(parameters.ToJson()));
            checkedCases++;
        }

        Assert.Equal(360, checkedCases);
    }

    [Theory]
    [InlineData("""{"decay_type": "warmup"}""", """{"decay_type":"warmup","decay":0.9999,"inv_gamma":1,"power":0.6666666666666666,"min_decay":0,"update_after_step":0}""")]
    [InlineData("""{"decay_type": "tau"}""", """{"decay_type":"tau","decay":0.9999,"tau":2000}""")]
    [InlineData("""{"decay_type": "power"}""", """{"decay_type":"power","decay":0.9999,"sigma_rel":0.05}""")]
    public void Every_key_has_a_default(string json, string written)
    {
        Assert.Equal(written, DecaySchedules.FromJson(json).ToJson());
    }

    [Theory]
    [InlineData("""{"decay_type": "tau", "tau": 0}""", "tau")]
    [InlineData("""{"decay_type": "power", "sigma_rel": 0.3}""", "sigma_rel")]
    [InlineData("""{"decay_type": "warmup", "min_decay": 1}""", "min_decay")]
    [InlineData("""{"decay_type": "warmup", "update_after_step": 1.5}""", "update_after_step")]
    [InlineData("""{"decay_type": "warmup", "inv_gamma": -2}""", "inv_gamma")]
    public void Out_of_range_keys_are_errors_naming_the_key(string json, string key)
    {
        var error = Assert.Throws<EmaConfigException>(() => DecaySchedules.FromJson(json));

        Assert.Equal(key, error.Key);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
