namespace Ema.Packaging.Tests;

/// <summary>
/// A user's own [DecaySchedule] class, as a new user meets it through the package: the generator inside the
/// nupkg makes its record and registration, and the analyzers check its constants.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class CustomScheduleConsumerTests(PackageFixture package)
{
    [Fact]
    public void A_consumer_schedule_builds_runs_and_is_found_by_name_from_json()
    {
        const string program = """
            using Consumer;
            using Ema;

            // The generator makes LinearEmaParams and registers "linear"; FromJson reads an ema_params object.
            EmaParams typed = new LinearEmaParams(decay: 0.99);
            EmaParams loaded = DecaySchedules.FromJson(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "linear.json")));
            Console.WriteLine(FormattableString.Invariant($"{loaded.GetType().Name} {loaded.DecayType} {loaded.Decay} {DecaySchedules.Compute(loaded, 5, 10)}"));
            Console.WriteLine(string.Join(",", DecaySchedules.Names));
            return loaded is LinearEmaParams && loaded == typed ? 0 : 1;

            namespace Consumer
            {
                [DecaySchedule("linear")]
                public sealed class LinearDecay : IDecayFunction
                {
                    public double Compute(double decay, long step, long totalSteps) => decay * step / totalSteps;
                }
            }
            """;
        string consumer = package.CreateConsumer("CustomSchedule", new Dictionary<string, string>
        {
            ["Program.cs"] = program,
            ["linear.json"] = """{"decay": 0.99, "decay_type": "linear"}""",
        }, additionalJson: true);

        ProcessRunner.Result build = PackageFixture.Build(consumer);
        Assert.True(build.ExitCode == 0, build.ToString());

        ProcessRunner.Result run = ProcessRunner.Dotnet(consumer, "run", "--no-build");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("LinearEmaParams linear 0.99 0.495", run.Output, StringComparison.Ordinal);
        Assert.Contains(BuiltInSchedules.Listed(",", "linear"), run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_generated_record_with_an_out_of_range_decay_fails_the_build_with_EMA0001()
    {
        const string program = """
            using Consumer;

            var bad = new LinearEmaParams(decay: 1.2);
            Console.WriteLine(bad.Decay);

            namespace Consumer
            {
                [Ema.DecaySchedule("linear")]
                public sealed class LinearDecay : Ema.IDecayFunction
                {
                    public double Compute(double decay, long step, long totalSteps) => decay * step / totalSteps;
                }
            }
            """;
        string consumer = package.CreateConsumer("GeneratedBadDecay", new Dictionary<string, string> { ["Program.cs"] = program });

        ProcessRunner.Result build = PackageFixture.Build(consumer);

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("Program.cs(3,38): error EMA0001: decay = 1.2", build.Output, StringComparison.Ordinal);
    }
}
