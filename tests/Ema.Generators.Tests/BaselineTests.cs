using Microsoft.CodeAnalysis;

namespace Ema.Generators.Tests;

/// <summary>
/// Generated source compared with checked-in files under Baselines/. Set EMA_UPDATE_BASELINES=1 to rewrite them
/// after an intended change, then review the diff.
/// </summary>
public sealed class BaselineTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { "EveryType", Sources.EveryType, "Shapes.EveryTypeEmaParams.g.cs" },
        { "EveryTypeRegistry", Sources.EveryType, "Ema.Generated.Consumer.DecayScheduleRegistry.g.cs" },
        { "Ranged", Sources.Ranged, "Ranges.RangedEmaParams.g.cs" },
        { "NestedNamespace", Sources.NestedNamespace, "Company.Training.Schedules.Inner.NestedEmaParams.g.cs" },
        { "GlobalNamespace", Sources.GlobalNamespace, "GlobalEmaParams.g.cs" },
        { "Hyphen", Sources.Hyphen, "Ema.Extra.WarmCosineEmaParams.g.cs" },
        { "Linear", Sources.Linear, "Seed.LinearEmaParams.g.cs" },
        { "LinearRegistry", Sources.Linear, "Ema.Generated.Consumer.DecayScheduleRegistry.g.cs" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_source_matches_the_baseline_and_compiles_without_warnings(string name, string source, string hintName)
    {
        var input = GeneratorHarness.Compile("Consumer", null, source);
        var (result, output) = GeneratorHarness.Run(input);

        AssertBaseline(name, GeneratorHarness.Source(result, hintName));
        Assert.Empty(GeneratorHarness.GeneratedProblems(input, output));
    }

    [Fact]
    public void Built_in_schedules_of_the_real_runtime_source_match_the_baselines_and_compile_without_warnings()
    {
        string root = RepositoryRoot.Find();
        string runtime = Path.Combine(root, "src", "Ema.Runtime");
        string[] files = Directory.GetFiles(runtime, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains("buildTransitive", StringComparison.Ordinal))
            .Concat(Directory.GetFiles(Path.Combine(root, "src", "Shared"), "*.cs"))
            .Order(StringComparer.Ordinal)
            .ToArray();
        string implicitUsings = "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; global using System.Threading; global using System.Threading.Tasks;";

        // Ema.Runtime compiled from source, as the build does, with its dependencies from the test output folder.
        var dependencies = Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
            .Where(f => Path.GetFileName(f) is "TorchSharp.dll" or "Microsoft.Extensions.Configuration.Abstractions.dll" or "Microsoft.Extensions.Primitives.dll" or "System.IO.Hashing.dll" or "Microsoft.Extensions.Logging.Abstractions.dll")
            .Select(f => (MetadataReference)MetadataReference.CreateFromFile(f));
        var compilation = GeneratorHarness.Compile("Ema.Runtime", dependencies, files.Select(File.ReadAllText).Append(implicitUsings).ToArray())
            .RemoveReferences(GeneratorHarness.References.Last());

        var (result, output) = GeneratorHarness.Run(compilation);

        Assert.Equal(
            [
                "Ema.BemaEmaParams.g.cs", "Ema.ConstantEmaParams.g.cs", "Ema.CosineEmaParams.g.cs", "Ema.ExpEmaParams.g.cs", "Ema.Generated.Ema_Runtime.DecayScheduleRegistry.g.cs",
                "Ema.HalfLifeEmaParams.g.cs", "Ema.PowerEmaParams.g.cs", "Ema.SwaEmaParams.g.cs", "Ema.TauEmaParams.g.cs", "Ema.ThresholdEmaParams.g.cs", "Ema.WarmupEmaParams.g.cs",
            ],
            result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        foreach (GeneratedSourceResult source in result.GeneratedSources)
        {
            AssertBaseline("BuiltIn." + source.HintName.Replace(".g.cs", string.Empty, StringComparison.Ordinal), source.SourceText.ToString());
        }

        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void The_zero_warning_check_does_detect_a_public_member_without_docs()
    {
        // Control for the tests above: the same options do report CS1591, so "no warnings" is meaningful.
        var compilation = GeneratorHarness.Compile("Control", null, "namespace N; public sealed class Undocumented { }");

        Assert.Contains(GeneratorHarness.Problems(compilation), p => p.Contains("CS1591", StringComparison.Ordinal));
    }

    [Fact]
    public void Output_is_the_same_on_every_run()
    {
        var compilation = GeneratorHarness.Compile("Consumer", null, Sources.Hyphen, Sources.Linear, Sources.EveryType);

        string[] first = GeneratorHarness.Run(compilation).Result.GeneratedSources.Select(s => s.HintName + s.SourceText).ToArray();
        string[] second = GeneratorHarness.Run(compilation).Result.GeneratedSources.Select(s => s.HintName + s.SourceText).ToArray();

        Assert.Equal(first, second);
        Assert.Equal(4, first.Length);
    }

    private static void AssertBaseline(string name, string actual)
    {
        string path = Path.Combine(RepositoryRoot.Find(), "tests", "Ema.Generators.Tests", "Baselines", name + ".g.cs.txt");
        if (Environment.GetEnvironmentVariable("EMA_UPDATE_BASELINES") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"No baseline {path}; run the tests with EMA_UPDATE_BASELINES=1 to create it.");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
