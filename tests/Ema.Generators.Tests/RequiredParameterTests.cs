namespace Ema.Generators.Tests;

/// <summary>
/// A schedule constructor parameter without a default (EveryTypeDecay's <c>scale</c>) is required in C# (the record's
/// constructor takes it before <c>decay</c>) and in config. Generated code compiled against the real runtime and run.
/// </summary>
public sealed class RequiredParameterTests
{
    private const string Driver = """"
        using System;
        using Ema;

        namespace Shapes;

        public static class Driver
        {
            public static string[] Run() =>
            [
                Error(() => DecaySchedules.FromJson("""{"decay_type": "every-type"}""")),
                Error(() => TrainingParams.FromJson("""{"ema": true, "ema_params": {"decay_type": "every-type", "gain": 0.5}}""")),
                Error(() => DecaySchedules.FromJson("""{"decay_type": "every-type", "scale": null}""")),
                DecaySchedules.FromJson("""{"decay_type": "every-type", "scale": 2.5}""").ToJson(),
                (DecaySchedules.FromJson(new EveryTypeEmaParams(1.5).ToJson()) == new EveryTypeEmaParams(scale: 1.5, decay: 0.9999)).ToString(),
            ];

            private static string Error(Func<object> load)
            {
                try
                {
                    return "no error: " + load();
                }
                catch (EmaConfigException e)
                {
                    return e.Key + "|" + e.Message;
                }
            }
        }
        """";

    private const string Required = "is required for decay_type \"every-type\": the schedule's constructor declares no default for it";

    [Fact]
    public void A_missing_key_without_a_constructor_default_is_an_error_and_keys_with_defaults_may_be_omitted()
    {
        byte[] image = GeneratorHarness.CompileWithGenerator("ShapesLib", null, Sources.EveryType, Driver);
        var context = new IsolatedRuntime(new() { ["ShapesLib"] = image });
        try
        {
            var results = (string[])context.Invoke("ShapesLib", "Shapes.Driver", "Run")!;

            Assert.Equal("scale|scale " + Required + ", so the config must give a value.", results[0]);
            Assert.Equal("ema_params.scale|ema_params.scale " + Required + ", so the config must give a value.", results[1]);

            // null is no value either, and removing the key is no way out for a required one.
            Assert.Equal("scale|scale is null; it must be a number. An absent key takes the default, where the key has one.", results[2]);

            // Only scale is required: every other key takes the constructor's default.
            Assert.Equal(
                """{"decay_type":"every-type","decay":0.9999,"scale":2.5,"gain":0.25,"warmup_steps":100,"seed":-9000000000,"clamp":true,"label":"a \u0022quoted\u0022 label","shape":"Step","max_lr":0.001}""",
                results[3]);

            // A record made in code round-trips through ToJson and FromJson.
            Assert.Equal("True", results[4]);
        }
        finally
        {
            context.Unload();
        }
    }

    private const string NullableNote = """"
        using System;
        using Ema;

        namespace Notes;

        [DecaySchedule("noted")]
        public sealed class NotedDecay(string? note, int steps) : IDecayFunction
        {
            public double Compute(double decay, long step, long totalSteps) => decay;
        }

        public static class Driver
        {
            public static string[] Run()
            {
                var loaded = (NotedEmaParams)DecaySchedules.FromJson("""{"decay_type": "noted", "steps": 3}""");
                var madeInCode = new NotedEmaParams(steps: 3);
                string missingSteps;
                try
                {
                    DecaySchedules.FromJson("""{"decay_type": "noted", "note": "x"}""");
                    missingSteps = "no error";
                }
                catch (EmaConfigException e)
                {
                    missingSteps = e.Key ?? "";
                }

                return [loaded.Note ?? "<null>", madeInCode.ToJson(), (DecaySchedules.FromJson(madeInCode.ToJson()) == madeInCode).ToString(), missingSteps];
            }
        }
        """";

    [Fact]
    public void A_nullable_string_without_a_default_may_be_left_out_and_means_null_so_a_null_round_trips()
    {
        byte[] image = GeneratorHarness.CompileWithGenerator("NotesLib", null, NullableNote);
        var context = new IsolatedRuntime(new() { ["NotesLib"] = image });
        try
        {
            var results = (string[])context.Invoke("NotesLib", "Notes.Driver", "Run")!;

            Assert.Equal("<null>", results[0]);
            Assert.Equal("""{"decay_type":"noted","decay":0.9999,"steps":3}""", results[1]); // null is written as an absent key
            Assert.Equal("True", results[2]);
            Assert.Equal("steps", results[3]); // the int without a default stays required
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void A_required_parameter_is_required_in_CSharp_too_before_decay()
    {
        const string calls = """
            namespace Shapes;

            public static class Calls
            {
                public static object[] Fine() => [new EveryTypeEmaParams(2.5), new EveryTypeEmaParams(2.5, 0.99), new EveryTypeEmaParams(scale: 2.5, decay: 0.99, gain: 1f)];

                public static object Missing() => new EveryTypeEmaParams();

                public static object OnlyDecay() => new EveryTypeEmaParams(decay: 0.99);
            }
            """;
        var (_, output) = GeneratorHarness.Run(GeneratorHarness.Compile("Calls", null, Sources.EveryType, calls));

        string[] errors = output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
            .Select(d => d.Id + " line " + (d.Location.GetLineSpan().StartLinePosition.Line + 1)).ToArray();
        Assert.Equal(["CS7036 line 7", "CS7036 line 9"], errors);
    }
}
