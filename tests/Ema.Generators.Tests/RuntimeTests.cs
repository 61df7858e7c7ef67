using Microsoft.CodeAnalysis;

namespace Ema.Generators.Tests;

/// <summary>
/// Generated code compiled against the real Ema.Runtime.dll and run, each test in its own load context with its
/// own copy of the runtime (so registrations and conflicts stay in the test).
/// </summary>
public sealed class RuntimeTests
{
    private const string LinearDriver = """"
        using System.Linq;
        using Ema;

        namespace Seed;

        public static class Driver
        {
            public static object[] Run()
            {
                var typed = new LinearEmaParams(decay: 0.9);
                var initialized = new LinearEmaParams { Decay = 0.99 };
                EmaParams fromConfig = DecaySchedules.FromJson("""{"decay": 0.999, "decay_type": "linear"}""");
                IDecayFunction schedule = DecaySchedules.Create(typed);
                return
                [
                    string.Join(",", DecaySchedules.Names),
                    DecaySchedules.Compute(typed, 25, 100),
                    DecaySchedules.Compute(initialized, 30, 120),
                    fromConfig.GetType().FullName!,
                    fromConfig.Decay,
                    DecaySchedules.Compute(fromConfig, 1, 4),
                    schedule.GetType().FullName!,
                    fromConfig.ToJson(),
                    DecaySchedules.FromJson(typed.ToJson()) == typed,
                ];
            }
        }
        """";

    [Fact]
    public void The_seed_linear_schedule_is_found_by_name_and_computes_from_the_record_and_from_json()
    {
        byte[] image = GeneratorHarness.CompileWithGenerator("LinearLib", null, Sources.Linear, LinearDriver);
        var context = new IsolatedRuntime(new() { ["LinearLib"] = image });
        try
        {
            var values = (object[])context.Invoke("LinearLib", "Seed.Driver", "Run")!;

            Assert.Equal(BuiltInSchedules.Listed(",", "linear"), values[0]);
            Assert.Equal(0.9 * 25 / 100, (double)values[1]);
            Assert.Equal(0.99 * 30 / 120, (double)values[2]);
            Assert.Equal("Seed.LinearEmaParams", values[3]);
            Assert.Equal(0.999, (double)values[4]);
            Assert.Equal(0.999 * 1 / 4, (double)values[5]);
            Assert.Equal("Seed.LinearDecay", values[6]);
            Assert.Equal("""{"decay_type":"linear","decay":0.999}""", values[7]);
            Assert.Equal(true, values[8]);
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void A_schedule_of_a_referenced_library_is_found_by_name_before_any_of_its_types_is_touched()
    {
        byte[] library = GeneratorHarness.CompileWithGenerator("LinearLib", null, Sources.Linear);
        const string app = """"
            namespace App;

            public static class Driver
            {
                // Names the schedule only as a string: nothing here touches a type of LinearLib.
                public static object[] Run() =>
                [
                    string.Join(",", Ema.DecaySchedules.Names),
                    Ema.DecaySchedules.FromJson("""{"decay_type": "linear", "decay": 0.5}""").GetType().AssemblyQualifiedName!,
                ];
            }
            """";
        var appCompilation = GeneratorHarness.Compile("App", [MetadataReference.CreateFromImage(library)], app);
        var (result, output) = GeneratorHarness.Run(appCompilation);
        string registry = GeneratorHarness.Source(result, "Ema.Generated.App.DecayScheduleRegistry.g.cs");
        var context = new IsolatedRuntime(new() { ["LinearLib"] = library, ["App"] = GeneratorHarness.Emit(output) });
        try
        {
            var values = (object[])context.Invoke("App", "App.Driver", "Run")!;

            Assert.Contains("global::Ema.Generated.LinearLib.DecayScheduleRegistry.Register();", registry, StringComparison.Ordinal);
            Assert.Contains("global::Ema.Generated.Ema_Runtime.DecayScheduleRegistry.Register();", registry, StringComparison.Ordinal);
            Assert.Equal(BuiltInSchedules.Listed(",", "linear"), values[0]);
            Assert.StartsWith("Seed.LinearEmaParams, LinearLib,", (string)values[1], StringComparison.Ordinal);
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void Two_assemblies_registering_one_name_give_an_error_naming_both()
    {
        byte[] first = GeneratorHarness.CompileWithGenerator("FirstLib", null, Sources.Linear);
        byte[] second = GeneratorHarness.CompileWithGenerator("SecondLib", null, Sources.Linear.Replace("namespace Seed;", "namespace Other;", StringComparison.Ordinal));
        const string app = """
            namespace App;

            public static class Driver
            {
                public static string Run()
                {
                    try
                    {
                        return "no error: " + string.Join(",", Ema.DecaySchedules.Names);
                    }
                    catch (System.InvalidOperationException e)
                    {
                        return e.Message;
                    }
                }
            }
            """;
        byte[] appImage = GeneratorHarness.CompileWithGenerator("App", [MetadataReference.CreateFromImage(first), MetadataReference.CreateFromImage(second)], app);
        var context = new IsolatedRuntime(new() { ["FirstLib"] = first, ["SecondLib"] = second, ["App"] = appImage });
        try
        {
            string message = (string)context.Invoke("App", "App.Driver", "Run")!;

            Assert.Contains("'linear' is registered twice", message, StringComparison.Ordinal);
            Assert.Contains("Seed.LinearEmaParams in assembly 'FirstLib'", message, StringComparison.Ordinal);
            Assert.Contains("Other.LinearEmaParams in assembly 'SecondLib'", message, StringComparison.Ordinal);
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void Generated_range_validation_names_the_key_the_value_and_the_range()
    {
        const string driver = """
            namespace Ranges;

            public static class Driver
            {
                public static string[] Run()
                {
                    var messages = new System.Collections.Generic.List<string>();
                    try { _ = new RangedEmaParams(warmupSteps: 0); } catch (System.ArgumentOutOfRangeException e) { messages.Add(e.ParamName + "|" + e.Message); }
                    try { _ = new RangedEmaParams() with { Floor = double.NaN }; } catch (System.ArgumentOutOfRangeException e) { messages.Add(e.ParamName + "|" + e.Message); }
                    try { _ = new RangedEmaParams(decay: 1.0); } catch (System.ArgumentOutOfRangeException e) { messages.Add(e.ParamName + "|" + e.Message); }
                    messages.Add(new RangedEmaParams(floor: 0.0, warmupSteps: 1000).ToJson());
                    return messages.ToArray();
                }
            }
            """;
        byte[] image = GeneratorHarness.CompileWithGenerator("RangedLib", null, Sources.Ranged, driver);
        var context = new IsolatedRuntime(new() { ["RangedLib"] = image });
        try
        {
            var messages = (string[])context.Invoke("RangedLib", "Ranges.Driver", "Run")!;

            Assert.Equal(4, messages.Length);
            Assert.StartsWith("WarmupSteps|warmup_steps = 0 is outside the allowed range: warmup_steps must be >= 1 and <= 1000 (declared by [Range] on RangedDecay's constructor parameter warmupSteps)", messages[0], StringComparison.Ordinal);
            Assert.StartsWith("Floor|floor = NaN is outside the allowed range: floor must be >= 0 and < 1", messages[1], StringComparison.Ordinal);
            Assert.StartsWith("decay|decay = 1 is outside the allowed range", messages[2], StringComparison.Ordinal);
            Assert.Equal("""{"decay_type":"ranged","decay":0.9999,"floor":0,"warmup_steps":1000,"gain":2}""", messages[3]);
        }
        finally
        {
            context.Unload();
        }
    }
}
