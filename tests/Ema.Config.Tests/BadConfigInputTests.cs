namespace Ema.Config.Tests;

/// <summary>
/// The bad-input table of issue 8: every malformed <c>training_params</c> or <c>ema_params</c> text gives an
/// <see cref="EmaConfigException"/> (never another exception, never a silent default) whose message names the
/// key, the value and what is allowed. One row per input; the row's name shows in the test results.
/// </summary>
public sealed class BadConfigInputTests
{
    /// <summary>Where the text goes: <see cref="TrainingParams.FromJson(string, Microsoft.Extensions.Logging.ILogger?)"/> or <see cref="DecaySchedules.FromJson(string, Microsoft.Extensions.Logging.ILogger?)"/>.</summary>
    public enum Api
    {
        Training,
        EmaParams,
    }

    /// <param name="Api">The loader.</param>
    /// <param name="Json">The text.</param>
    /// <param name="Key">The <see cref="EmaConfigException.Key"/> expected (null: the text as a whole, such as a syntax error).</param>
    /// <param name="Fragments">Every one must appear in the message: the key, the value, what is allowed.</param>
    public sealed record Row(Api Api, string Json, string? Key, params string[] Fragments);

    private const string AllowedDecay = "decay must lie in the open interval (0, 1)";
    private const string Syntax = "Invalid JSON at line";
    private const string AllowedFinite = "allowed are finite numbers";

    /// <summary>The table. Keep each row's name short and unique: it is the test's display name.</summary>
    internal static readonly Dictionary<string, Row> Rows = new()
    {
        // Wrong types, and strings for numbers.
        ["decay-as-string"] = new(Api.EmaParams, """{"decay": "0.999"}""", "decay", "decay must be a number", "a string (\"0.999\")"),
        ["decay-as-bool"] = new(Api.EmaParams, """{"decay": false}""", "decay", "decay must be a number", "the boolean false"),
        ["decay-as-array"] = new(Api.EmaParams, """{"decay": [0.9]}""", "decay", "decay must be a number", "an array"),
        ["decay-as-object"] = new(Api.EmaParams, """{"decay": {"value": 0.9}}""", "decay", "decay must be a number", "an object"),
        ["beta-as-string"] = new(Api.EmaParams, """{"decay_type": "exp", "beta": "15"}""", "beta", "beta must be a number", "a string (\"15\")"),
        ["decay-type-as-number"] = new(Api.EmaParams, """{"decay_type": 1}""", "decay_type", "decay_type must be a string", "the number 1"),
        ["decay-type-as-array"] = new(Api.EmaParams, """{"decay_type": ["exp"]}""", "decay_type", "decay_type must be a string", "an array"),
        ["max-epochs-as-string"] = new(Api.Training, """{"max_epochs": "10"}""", "max_epochs", "max_epochs must be an integer", "a string (\"10\")"),
        ["max-epochs-fraction"] = new(Api.Training, """{"max_epochs": 2.5}""", "max_epochs", "max_epochs must be an integer", "the number 2.5"),
        ["max-epochs-overflow"] = new(Api.Training, """{"max_epochs": 1e10}""", "max_epochs", "max_epochs must be an integer from -2147483648 to 2147483647", "the number 1e10"),
        ["batch-accumulate-as-bool"] = new(Api.Training, """{"batch_accumulate": true}""", "batch_accumulate", "batch_accumulate must be an integer", "the boolean true"),
        ["initial-lr-as-string"] = new(Api.Training, """{"initial_lr": "1e-3"}""", "initial_lr", "initial_lr must be a number", "a string (\"1e-3\")"),
        ["ema-as-string"] = new(Api.Training, """{"ema": "true"}""", "ema", "ema must be true or false", "a string (\"true\")"),
        ["ema-as-number"] = new(Api.Training, """{"ema": 1}""", "ema", "ema must be true or false", "the number 1"),
        ["ema-params-as-string"] = new(Api.Training, """{"ema_params": "exp"}""", "ema_params", "ema_params must be an object", "a string (\"exp\")"),
        ["ema-params-as-array"] = new(Api.Training, """{"ema_params": [{"decay": 0.9}]}""", "ema_params", "ema_params must be an object", "an array"),

        // NaN and infinity: not JSON, as literals; overflowing numbers; as strings.
        ["decay-NaN-literal"] = new(Api.EmaParams, """{"decay": NaN}""", null, Syntax + " 1, column 11", "in the value of \"decay\"", "NaN and Infinity are not JSON numbers"),
        ["decay-Infinity-literal"] = new(Api.EmaParams, """{"decay": Infinity}""", null, Syntax + " 1, column 11", "in the value of \"decay\"", "NaN and Infinity are not JSON numbers"),
        ["lr-minus-Infinity-literal"] = new(Api.Training, """{"initial_lr": -Infinity}""", null, Syntax, "in the value of \"initial_lr\"", "NaN and Infinity are not JSON numbers"),
        ["beta-overflows-to-infinity"] = new(Api.EmaParams, """{"beta": 1e400}""", "beta", "beta = 1e400 is not a finite number", AllowedFinite),
        ["lr-overflows-to-infinity"] = new(Api.Training, """{"initial_lr": -1e309}""", "initial_lr", "initial_lr = -1e309 is not a finite number", AllowedFinite),
        ["decay-NaN-string"] = new(Api.EmaParams, """{"decay": "NaN"}""", "decay", "decay must be a number", "a string (\"NaN\")"),

        // Decay out of (0, 1).
        ["decay-0"] = new(Api.EmaParams, """{"decay": 0}""", "decay", "decay = 0 is outside the allowed range", AllowedDecay),
        ["decay-1"] = new(Api.EmaParams, """{"decay": 1}""", "decay", "decay = 1 is outside the allowed range", AllowedDecay),
        ["decay-minus-0.1"] = new(Api.EmaParams, """{"decay": -0.1}""", "decay", "decay = -0.1 is outside the allowed range", AllowedDecay),
        ["decay-1.2"] = new(Api.EmaParams, """{"decay": 1.2}""", "decay", "decay = 1.2 is outside the allowed range", AllowedDecay),
        ["decay-1e308"] = new(Api.EmaParams, """{"decay": 1e308}""", "decay", "decay = 1E+308 is outside the allowed range", AllowedDecay),
        ["decay-rounds-to-1"] = new(Api.EmaParams, """{"decay": 0.99999999999999999999}""", "decay", "decay = 1 is outside the allowed range", AllowedDecay),
        ["decay-nested-2"] = new(Api.Training, """{"ema_params": {"decay": 2}}""", "ema_params.decay", "ema_params.decay = 2 is outside the allowed range", AllowedDecay),
        ["beta-0"] = new(Api.EmaParams, """{"decay_type": "exp", "beta": 0}""", "beta", "beta = 0 is outside the allowed range", "beta must be > 0"),
        ["max-epochs-0"] = new(Api.Training, """{"max_epochs": 0}""", "max_epochs", "max_epochs = 0 is outside the allowed range", "at least 1"),
        ["lr-negative"] = new(Api.Training, """{"initial_lr": -0.01}""", "initial_lr", "initial_lr = -0.01 is outside the allowed range", "a finite number > 0"),

        // Unknown schedule names (typos, case, whitespace, empty).
        ["decay-type-typo-expp"] = new(Api.EmaParams, """{"decay_type": "expp"}""", "decay_type", "\"expp\" is not a registered decay schedule", "Known schedules: bema, constant, cosine, exp, half_life, power, swa, tau, threshold", "Did you mean \"exp\"?"),
        ["decay-type-typo-treshold"] = new(Api.EmaParams, """{"decay_type": "treshold"}""", "decay_type", "\"treshold\" is not a registered decay schedule", "Did you mean \"threshold\"?"),
        ["decay-type-upper-case"] = new(Api.EmaParams, """{"decay_type": "EXP"}""", "decay_type", "\"EXP\" is not a registered decay schedule", "Did you mean \"exp\"?"),
        ["decay-type-trailing-space"] = new(Api.EmaParams, """{"decay_type": "constant "}""", "decay_type", "\"constant \" is not a registered decay schedule", "Did you mean \"constant\"?"),
        ["decay-type-empty"] = new(Api.EmaParams, """{"decay_type": ""}""", "decay_type", "\"\" is not a registered decay schedule", "Known schedules: bema, constant, cosine, exp, half_life, power, swa, tau, threshold"),
        ["decay-type-nested-typo"] = new(Api.Training, """{"ema_params": {"decay_type": "linaer"}}""", "ema_params.decay_type", "ema_params.decay_type = \"linaer\" is not a registered decay schedule", "Known schedules:"),

        // Unknown keys.
        ["unknown-ema-key"] = new(Api.EmaParams, """{"decay": 0.9, "decy": 0.9}""", "decy", "decy is not a known key", "takes decay_type, decay, beta", "Did you mean \"decay\"?"),
        ["unknown-ema-key-case"] = new(Api.EmaParams, """{"Decay": 0.9}""", "Decay", "Decay is not a known key", "Did you mean \"decay\"?"),
        ["unknown-top-key"] = new(Api.Training, """{"emma": true}""", "emma", "emma is not a known training key", "Known keys: max_epochs, batch_accumulate, initial_lr, ema, ema_params", "Did you mean \"ema\"?"),
        ["unknown-nested-key"] = new(Api.Training, """{"ema_params": {"bta": 3}}""", "ema_params.bta", "ema_params.bta is not a known key", "Did you mean \"beta\"?"),
        ["training-params-wrapper"] = new(Api.Training, """{"training_params": {"ema": true}}""", "training_params", "training_params is not a known training key", "Known keys:"),

        // A key whose schedule constructor parameter has no default (warm-hold's holdSteps) must be given.
        ["required-key-missing"] = new(Api.EmaParams, """{"decay_type": "warm-hold", "floor": 0.2}""", "hold_steps", "hold_steps is required for decay_type \"warm-hold\"", "the schedule's constructor declares no default"),
        ["required-key-missing-nested"] = new(Api.Training, """{"ema": true, "ema_params": {"decay_type": "warm-hold"}}""", "ema_params.hold_steps", "ema_params.hold_steps is required for decay_type \"warm-hold\""),
        ["required-key-null"] = new(Api.EmaParams, """{"decay_type": "warm-hold", "hold_steps": null}""", "hold_steps", "hold_steps is null; it must be an integer"),

        // Duplicates and nulls.
        ["duplicate-decay"] = new(Api.EmaParams, """{"decay": 0.9, "decay": 0.99}""", "decay", "decay appears twice", "each key may appear once"),
        ["duplicate-top-key"] = new(Api.Training, """{"ema": true, "ema": false}""", "ema", "ema appears twice", "each key may appear once"),
        ["duplicate-nested-key"] = new(Api.Training, """{"ema_params": {"decay_type": "exp", "decay_type": "constant"}}""", "ema_params.decay_type", "ema_params.decay_type appears twice", "each key may appear once"),
        ["null-decay"] = new(Api.EmaParams, """{"decay": null}""", "decay", "decay is null; it must be a number", "An absent key takes the default"),
        ["null-decay-type"] = new(Api.EmaParams, """{"decay_type": null}""", "decay_type", "decay_type is null; it must be a string"),
        ["null-ema-params"] = new(Api.Training, """{"ema_params": null}""", "ema_params", "ema_params is null; it must be an object"),
        ["null-document"] = new(Api.Training, "null", null, "The config must be a JSON object, but it is null"),

        // Not an object at all.
        ["array-document"] = new(Api.EmaParams, "[0.9]", null, "The config must be a JSON object, but it is an array"),
        ["number-document"] = new(Api.Training, "0.9999", null, "The config must be a JSON object, but it is the number 0.9999"),
        ["string-document"] = new(Api.EmaParams, "\"exp\"", null, "The config must be a JSON object, but it is a string (\"exp\")"),

        // Empty, not JSON, structure.
        ["empty-text"] = new(Api.Training, string.Empty, null, "The config is empty", "{} for the defaults"),
        ["whitespace-only"] = new(Api.EmaParams, " \n\t ", null, "The config is empty"),
        ["yaml-not-json"] = new(Api.Training, "ema: true\nmax_epochs: 3\n", null, Syntax + " 1, column 1"),
        ["single-quotes"] = new(Api.EmaParams, "{'decay': 0.9}", null, Syntax + " 1, column 2"),
        ["unquoted-string-value"] = new(Api.EmaParams, """{"decay_type": exp}""", null, Syntax + " 1, column 16", "in the value of \"decay_type\""),
        ["truncated-object"] = new(Api.Training, """{"ema": true, "ema_params": {"decay": 0.9""", null, Syntax),
        ["two-documents"] = new(Api.EmaParams, "{} {}", null, Syntax + " 1, column 4"),
        ["unterminated-comment"] = new(Api.EmaParams, "{\"decay\": 0.9 /* why\n}", null, Syntax),
        ["double-comma"] = new(Api.Training, """{"ema": true,,}""", null, Syntax + " 1, column 14"),
        ["comma-only-object"] = new(Api.Training, """{,}""", null, Syntax + " 1, column 2"),
        ["deep-nesting-100k"] = new(Api.Training, """{"ema_params": {"decay": """ + new string('[', 100_000) + new string(']', 100_000) + "}}", null, Syntax, "maximum configured depth of 64"),
        ["deep-nesting-within-limit"] = new(Api.EmaParams, """{"decay": """ + new string('[', 40) + new string(']', 40) + "}", "decay", "decay must be a number", "an array"),
    };

    public static TheoryData<string> Names => new(Rows.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void A_bad_input_is_a_config_error_naming_the_key_the_value_and_what_is_allowed(string name)
    {
        Row row = Rows[name];
        var warnings = new List<string>();

        Exception? thrown = Record.Exception(() => Load(row, warnings));

        // Exactly EmaConfigException: anything else (JsonException, ArgumentException, a stack overflow) is a bug.
        EmaConfigException error = Assert.IsType<EmaConfigException>(thrown);
        Assert.Equal(row.Key, error.Key);
        foreach (string fragment in row.Fragments)
        {
            Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        }

        Assert.Empty(warnings); // an error, not a warning next to a half-applied config
    }

    [Fact]
    public void The_table_has_at_least_forty_inputs_for_both_loaders()
    {
        Assert.True(Rows.Count >= 40, $"{Rows.Count} rows");
        Assert.Contains(Rows.Values, r => r.Api == Api.Training);
        Assert.Contains(Rows.Values, r => r.Api == Api.EmaParams);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void From_a_file_the_same_input_gives_the_same_error_prefixed_with_the_path(string name)
    {
        Row row = Rows[name];
        if (row.Api != Api.Training)
        {
            return; // FromFile reads training params only
        }

        string path = Path.Combine(Path.GetTempPath(), $"ema-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, row.Json);
        try
        {
            var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromFile(path));

            Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
            Assert.Equal(row.Key, error.Key);
            Assert.All(row.Fragments, f => Assert.Contains(f, error.Message, StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Load(Row row, List<string> warnings)
    {
        if (row.Api == Api.Training)
        {
            TrainingParams.FromJson(row.Json, new ListLogger(warnings));
        }
        else
        {
            DecaySchedules.FromJson(row.Json, new ListLogger(warnings));
        }
    }
}
