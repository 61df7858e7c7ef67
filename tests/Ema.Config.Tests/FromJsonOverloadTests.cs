using System.Text.Json;

namespace Ema.Config.Tests;

/// <summary>
/// <see cref="DecaySchedules.FromJson(string)"/> and <see cref="DecaySchedules.FromJson(JsonElement)"/> are true
/// one-parameter methods: they convert to delegates, which an optional <c>logger</c> parameter alone would not allow
/// (this file would not compile), and one-argument calls still bind without ambiguity.
/// </summary>
public sealed class FromJsonOverloadTests
{
    private const string Json = """{"decay_type": "exp", "beta": 9}""";

    [Fact]
    public void The_text_overload_converts_to_a_one_parameter_delegate()
    {
        Func<string, EmaParams> load = DecaySchedules.FromJson;

        Assert.Equal(new ExpEmaParams(beta: 9), load(Json));
    }

    [Fact]
    public void The_element_overload_converts_to_a_one_parameter_delegate()
    {
        Func<JsonElement, EmaParams> load = DecaySchedules.FromJson;
        using JsonDocument document = JsonDocument.Parse(Json);

        Assert.Equal(new ExpEmaParams(beta: 9), load(document.RootElement));
    }

    [Fact]
    public void The_two_parameter_overloads_still_convert_and_receive_warnings()
    {
        Func<string, Microsoft.Extensions.Logging.ILogger?, EmaParams> load = DecaySchedules.FromJson;
        var warnings = new List<string>();

        // beta belongs to exp, so threshold ignores it with a warning.
        Assert.Equal(new ThresholdEmaParams(), load("""{"decay_type": "threshold", "beta": 15}""", new ListLogger(warnings)));
        Assert.Single(warnings);
        Assert.Equal(new ExpEmaParams(), DecaySchedules.FromJson("{}", null));
        Assert.Equal(new ExpEmaParams(), DecaySchedules.FromJson(json: "{}", logger: null));
    }
}
