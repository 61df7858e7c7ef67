namespace Ema.Packaging.Tests;

/// <summary>Consumer projects outside the repository, built against the packed nupkg as a new user would.</summary>
[Collection(PackageCollection.Name)]
public sealed class ConsumerBuildTests(PackageFixture package)
{
    private const string ValidProgram = """
        using System.Globalization;
        using Ema;

        var parameters = new ExpEmaParams(decay: 0.99, beta: 10);
        Console.WriteLine(string.Join(",", DecaySchedules.Names));
        Console.WriteLine(parameters.Beta.ToString(CultureInfo.InvariantCulture));
        """;

    [Fact]
    public void A_valid_consumer_builds_and_runs_without_a_native_backend()
    {
        string consumer = package.CreateConsumer("Valid", new Dictionary<string, string>
        {
            ["Program.cs"] = ValidProgram,
            ["train.json"] = """{"max_epochs": 3, "ema": true, "ema_params": {"decay": 0.9999, "decay_type": "threshold", "beta": 15}}""",
        }, additionalJson: true);

        ProcessRunner.Result build = PackageFixture.Build(consumer);
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.DoesNotContain("EMA0", build.Output, StringComparison.Ordinal);

        // The compiler loads every assembly under analyzers/: none may fail to load (CS8032, AD0001) or warn.
        Assert.DoesNotMatch(@"warning (CS|AD|RS)\d{4}", build.Output);

        ProcessRunner.Result run = ProcessRunner.Dotnet(consumer, "run", "--no-build");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(BuiltInSchedules.Listed(","), run.Output, StringComparison.Ordinal);
        Assert.Contains("10", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_range_decay_in_CSharp_fails_the_build_with_EMA0001_at_that_line()
    {
        const string program = """
            using Ema;

            var ok = new ExpEmaParams(decay: 0.9999);
            var bad = new ExpEmaParams(decay: 1.2);
            Console.WriteLine(ok.Decay + bad.Decay);
            """;
        string consumer = package.CreateConsumer("BadDecay", new Dictionary<string, string> { ["Program.cs"] = program });

        ProcessRunner.Result build = PackageFixture.Build(consumer);

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"Program.cs({Position(program, "1.2")}): error EMA0001: decay = 1.2 is outside the allowed range", build.Output, StringComparison.Ordinal);
        Assert.Single(ErrorLines(build.Output, "EMA0001"));
    }

    [Fact]
    public void An_out_of_range_decay_in_train_json_fails_the_build_with_EMA0001_at_the_json_line()
    {
        const string json = """
            {
              "max_epochs": 10,
              "ema": true,
              "ema_params": {"decay": 1.2, "decay_type": "exp", "beta": 15,
                             "betta": 1}
            }
            """;
        string consumer = package.CreateConsumer("BadJson", new Dictionary<string, string>
        {
            ["Program.cs"] = ValidProgram,
            ["train.json"] = json,
        }, additionalJson: true);

        ProcessRunner.Result build = PackageFixture.Build(consumer);

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"train.json({Position(json, "1.2")}): error EMA0001: decay = 1.2 is outside the allowed range", build.Output, StringComparison.Ordinal);
        Assert.Contains($"train.json({Position(json, "\"betta\"")}): warning EMA0006: Unknown key 'betta'", build.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Inline_JSON_and_an_undisposed_EMA_scope_are_reported_at_their_lines()
    {
        const string program = """"
            using Ema;
            using static TorchSharp.torch;

            var model = nn.Linear(4, 2);
            var p = DecaySchedules.FromJson("""{"decay": 1.2}""");
            using var ema = new ModelEma(model, p);
            ema.UseEmaWeights();
            """";
        string consumer = package.CreateConsumer("InlineJsonAndScope", new Dictionary<string, string> { ["Program.cs"] = program });

        ProcessRunner.Result build = PackageFixture.Build(consumer);

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"Program.cs({Position(program, "1.2")}): error EMA0001: decay = 1.2 is outside the allowed range", build.Output, StringComparison.Ordinal);
        Assert.Contains($"Program.cs({Position(program, "ema.UseEmaWeights()")}): warning EMA0007: The scope ema.UseEmaWeights() returns is discarded", build.Output, StringComparison.Ordinal);
    }

    /// <summary>"line,column" (1-based) of the first occurrence of <paramref name="text"/>, as MSBuild prints it.</summary>
    private static string Position(string source, string text)
    {
        string[] lines = source.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int column = lines[i].IndexOf(text, StringComparison.Ordinal);
            if (column >= 0)
            {
                return $"{i + 1},{column + 1}";
            }
        }

        throw new ArgumentException($"'{text}' is not in the source.");
    }

    private static string[] ErrorLines(string output, string id) =>
        output.Split('\n').Where(l => l.Contains("error " + id, StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToArray();
}
