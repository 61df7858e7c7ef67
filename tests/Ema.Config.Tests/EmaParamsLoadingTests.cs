namespace Ema.Config.Tests;

/// <summary><c>ema_params</c> from JSON: SuperGradients' defaults, and one test per kind of error.</summary>
public sealed class EmaParamsLoadingTests
{
    private readonly List<string> _warnings = [];

    private EmaParams Load(string json) => DecaySchedules.FromJson(json, new ListLogger(_warnings));

    private EmaConfigException Fails(string json) => Assert.Throws<EmaConfigException>(() => Load(json));

    [Fact]
    public void Empty_object_is_exp_with_decay_0_9999_and_beta_15()
    {
        Assert.Equal(new ExpEmaParams(0.9999, 15), Load("{}"));
        Assert.Empty(_warnings);
    }

    [Fact]
    public void A_parsed_json_element_loads_the_same_as_text()
    {
        using var document = System.Text.Json.JsonDocument.Parse("""{"ema_params": {"decay_type": "exp", "beta": 9}}""");

        Assert.Equal(new ExpEmaParams(beta: 9), DecaySchedules.FromJson(document.RootElement.GetProperty("ema_params")));
        Assert.Equal(new ExpEmaParams(beta: 9), TrainingParams.FromJson(document.RootElement).EmaParams);
    }

    [Fact]
    public void Missing_decay_is_0_9999()
    {
        var loaded = Assert.IsType<ThresholdEmaParams>(Load("""{"decay_type": "threshold"}"""));

        Assert.Equal(0.9999, loaded.Decay);
    }

    [Fact]
    public void Each_built_in_loads_into_its_record()
    {
        Assert.Equal(new ConstantEmaParams(0.99), Load("""{"decay": 0.99, "decay_type": "constant"}"""));
        Assert.Equal(new ThresholdEmaParams(0.999), Load("""{"decay": 0.999, "decay_type": "threshold"}"""));
        Assert.Equal(new ExpEmaParams(0.9, 20), Load("""{"decay": 0.9, "decay_type": "exp", "beta": 20}"""));
    }

    [Fact]
    public void A_schedule_declared_in_this_assembly_loads_with_int_and_enum_parameters()
    {
        var loaded = Load("""{"decay_type": "warm-cosine", "warmup_steps": 50, "shape": "LINEAR", "floor": 0.5}""");

        Assert.Equal(new WarmCosineEmaParams(warmupSteps: 50, shape: WarmupShape.Linear, floor: 0.5), loaded);
        Assert.Contains("warm-cosine", DecaySchedules.Names);
    }

    [Fact]
    public void A_key_whose_constructor_parameter_has_a_default_may_be_omitted()
    {
        // hold_steps has no default in WarmHoldDecay's constructor and is given; floor has one (0.5) and is not.
        var loaded = Assert.IsType<WarmHoldEmaParams>(Load("""{"decay_type": "warm-hold", "hold_steps": 10}"""));

        Assert.Equal(10, loaded.HoldSteps);
        Assert.Equal(0.5, loaded.Floor);
        Assert.Empty(_warnings);
    }

    [Fact]
    public void A_missing_key_whose_constructor_parameter_has_no_default_is_an_error_not_the_records_csharp_default()
    {
        var error = Fails("""{"decay_type": "warm-hold"}""");

        Assert.Equal("hold_steps", error.Key);
        Assert.Equal(
            "hold_steps is required for decay_type \"warm-hold\": the schedule's constructor declares no default for it, so the config must give a value.",
            error.Message);
    }

    [Fact]
    public void Unknown_decay_type_lists_the_known_names_and_the_closest()
    {
        var error = Fails("""{"decay_type": "expo"}""");

        Assert.Equal("decay_type", error.Key);
        Assert.Contains("\"expo\" is not a registered decay schedule", error.Message, StringComparison.Ordinal);
        Assert.Contains(BuiltInSchedules.Listed(", ", "warm-cosine", "warm-hold"), error.Message, StringComparison.Ordinal);
        Assert.Contains("Did you mean \"exp\"?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_key_names_it_and_the_closest_known_key()
    {
        var error = Fails("""{"decay_type": "exp", "betta": 10}""");

        Assert.Equal("betta", error.Key);
        Assert.Contains("betta is not a known key", error.Message, StringComparison.Ordinal);
        Assert.Contains("takes decay_type, decay, beta", error.Message, StringComparison.Ordinal);
        Assert.Contains("Did you mean \"beta\"?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_of_another_schedule_is_ignored_with_a_warning()
    {
        // SuperGradients' recipes keep beta when they switch decay_type to threshold.
        var loaded = Load("""{"decay_type": "threshold", "decay": 0.999, "beta": 15}""");

        Assert.Equal(new ThresholdEmaParams(0.999), loaded);
        string warning = Assert.Single(_warnings);
        Assert.Contains("beta is ignored", warning, StringComparison.Ordinal);
        Assert.Contains("\"threshold\" does not take it", warning, StringComparison.Ordinal);
        Assert.Contains("parameter of exp", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_logger_nothing_is_written_and_with_one_the_warning_arrives_at_level_Warning()
    {
        var previousError = Console.Error;
        var previousOut = Console.Out;
        using var captured = new StringWriter();
        Console.SetError(captured);
        Console.SetOut(captured);
        try
        {
            DecaySchedules.FromJson("""{"decay_type": "constant", "beta": 15}""");
        }
        finally
        {
            Console.SetError(previousError);
            Console.SetOut(previousOut);
        }

        Assert.Equal(string.Empty, captured.ToString()); // a library stays quiet without a logger

        var messages = new List<string>();
        var logger = new ListLogger(messages);
        DecaySchedules.FromJson("""{"decay_type": "constant", "beta": 15}""", logger);
        Assert.StartsWith("beta is ignored", Assert.Single(messages), StringComparison.Ordinal);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, Assert.Single(logger.Levels));
    }

    [Theory]
    [InlineData("""{"decay": "0.9"}""", "decay", "decay must be a number, but it is a string (\"0.9\")")]
    [InlineData("""{"decay": true}""", "decay", "decay must be a number, but it is the boolean true")]
    [InlineData("""{"decay_type": 3}""", "decay_type", "decay_type must be a string, but it is the number 3")]
    [InlineData("""{"decay_type": "warm-cosine", "warmup_steps": 1.5}""", "warmup_steps", "warmup_steps must be an integer")]
    [InlineData("""{"decay_type": "exp", "beta": [15]}""", "beta", "beta must be a number, but it is an array")]
    public void Wrong_type_names_the_key_the_expected_type_and_the_value(string json, string key, string expected)
    {
        var error = Fails(json);

        Assert.Equal(key, error.Key);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enum_value_not_in_the_enum_lists_the_allowed_names()
    {
        var error = Fails("""{"decay_type": "warm-cosine", "shape": "square"}""");

        Assert.Equal("shape", error.Key);
        Assert.Contains("shape = \"square\" is not one of: Linear, Cosine", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_is_an_error()
    {
        var error = Fails("""{"decay": null}""");

        Assert.Equal("decay", error.Key);
        Assert.Contains("decay is null; it must be a number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_number_that_overflows_to_infinity_is_an_error()
    {
        var error = Fails("""{"decay_type": "exp", "beta": 1e400}""");

        Assert.Equal("beta", error.Key);
        Assert.Contains("beta = 1e400 is not a finite number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NaN_is_not_JSON_and_the_error_names_the_position()
    {
        var error = Fails("{\"decay\": NaN}");

        Assert.Contains("Invalid JSON at line 1, column 11", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"decay": 1.5}""", "decay", "decay = 1.5 is outside the allowed range: decay must lie in the open interval (0, 1)")]
    [InlineData("""{"decay": 0}""", "decay", "decay = 0 is outside the allowed range")]
    [InlineData("""{"decay_type": "exp", "beta": -1}""", "beta", "beta = -1 is outside the allowed range: beta must be > 0 (declared by [Range] on ExpDecay's constructor parameter beta)")]
    [InlineData("""{"decay_type": "warm-cosine", "warmup_steps": -5}""", "warmup_steps", "warmup_steps = -5 is outside the allowed range: warmup_steps must be >= 0 (declared by [Range] on WarmCosineDecay's constructor parameter warmupSteps)")]
    [InlineData("""{"decay_type": "warm-cosine", "floor": 2}""", "floor", "floor = 2 is outside the allowed range: floor must be >= 0 and <= 1")]
    public void Out_of_range_value_names_the_key_the_value_and_the_range(string json, string key, string expected)
    {
        var error = Fails(json);

        // Thrown by the binder with the key it read, not an ArgumentOutOfRangeException caught and reworded.
        Assert.Equal(key, error.Key);
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error.Message, StringComparison.Ordinal);
        Assert.Null(error.InnerException);
    }

    [Fact]
    public void Duplicate_keys_are_an_error()
    {
        var error = Fails("""{"decay": 0.9, "decay": 0.99}""");

        Assert.Equal("decay", error.Key);
        Assert.Contains("decay appears twice", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"decay\": 0.9, // comment\n}")]
    [InlineData("{\"decay\": 0.9,\n}")]
    [InlineData("/* recipe */ {\"decay\": /* max */ 0.9}")]
    public void Comments_and_trailing_commas_are_read_as_configuration_json_reads_them(string json)
    {
        Assert.Equal(new ExpEmaParams(decay: 0.9), DecaySchedules.FromJson(json));
    }

    [Fact]
    public void Not_an_object_is_an_error()
    {
        var error = Fails("[1, 2]");

        Assert.Contains("must be a JSON object, but it is an array", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Records))]
    public void ToJson_and_FromJson_round_trip(EmaParams parameters)
    {
        string json = parameters.ToJson();

        Assert.Equal(parameters, DecaySchedules.FromJson(json));
        Assert.Contains($"\"decay_type\":\"{parameters.DecayType}\"", json, StringComparison.Ordinal);
    }

    public static TheoryData<EmaParams> Records => new()
    {
        new ConstantEmaParams(0.1234567890123),
        new ThresholdEmaParams(),
        new ExpEmaParams(0.999, 0.1 + 0.2),
        new WarmCosineEmaParams(0.5, warmupSteps: 7, shape: WarmupShape.Linear, floor: 1.0 / 3),
    };

    [Fact]
    public void Record_and_initializer_syntax_both_work_and_with_keeps_validation()
    {
        var initialized = new ExpEmaParams { Decay = 0.99, Beta = 10 };

        Assert.Equal(new ExpEmaParams(decay: 0.99, beta: 10), initialized);
        Assert.Throws<ArgumentOutOfRangeException>(() => initialized with { Beta = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => initialized with { Decay = 1 });
    }
}
