using System.Globalization;
using System.Text;

namespace Ema.Benchmarks.CompileCost;

/// <summary>
/// Writes a consumer project of the size the compile-cost target names: 500 files, 5,000 EmaParams
/// constructions and 50 [DecaySchedule] classes, referencing Ema.Runtime and, optionally, the Ema generator
/// and analyzers the way the package ships them (as analyzers, not references).
/// </summary>
internal static class ProjectGenerator
{
    public const int Files = 500;
    public const int Constructions = 5_000;
    public const int Schedules = 50;

    public static void Write(string directory, string repoRoot, bool withEmaTools)
    {
        Directory.CreateDirectory(directory);
        string runtime = Path.Combine(repoRoot, "src", "Ema.Runtime", "Ema.Runtime.csproj");
        string tools = withEmaTools
            ? $"""
                <ProjectReference Include="{Path.Combine(repoRoot, "src", "Ema.Generators", "Ema.Generators.csproj")}" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
                <ProjectReference Include="{Path.Combine(repoRoot, "src", "Ema.Analyzers", "Ema.Analyzers.csproj")}" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              """
            : string.Empty;
        File.WriteAllText(Path.Combine(directory, "CompileCost.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <!-- Only the compiler is measured: no analyzers but Ema's, no XML docs. -->
                <EnableNETAnalyzers>false</EnableNETAnalyzers>
                <ReportAnalyzer>true</ReportAnalyzer>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{runtime}" />
            {tools}  </ItemGroup>
            </Project>
            """);

        int perFile = Constructions / Files;
        for (int f = 0; f < Files; f++)
        {
            var sb = new StringBuilder();
            sb.AppendLine("namespace CompileCost;").AppendLine();
            if (f < Schedules)
            {
                AppendSchedule(sb, f);
            }

            sb.AppendLine(CultureInfo.InvariantCulture, $"public static class Settings{f}").AppendLine("{");
            sb.AppendLine("    public static Ema.EmaParams[] All() =>").AppendLine("    [");
            for (int i = 0; i < perFile; i++)
            {
                double decay = 0.9 + (0.0001 * ((f * perFile) + i) % 0.09);
                sb.AppendLine(CultureInfo.InvariantCulture, $"        new Ema.ExpEmaParams(decay: {decay:0.0#####}, beta: {1 + (i % 20)}),");
            }

            sb.AppendLine("    ];").AppendLine("}");
            AppendLifecycle(sb, f);
            File.WriteAllText(Path.Combine(directory, $"File{f:D3}.cs"), sb.ToString());
        }
    }

    /// <summary>A training step's EMA lifecycle, correct, so the lifecycle analyzers and the inline-JSON check have work in every file.</summary>
    private static void AppendLifecycle(StringBuilder sb, int index)
    {
        sb.AppendLine(CultureInfo.InvariantCulture, $$""""

            public static class Lifecycle{{index}}
            {
                public static void Run(TorchSharp.torch.nn.Module model, TorchSharp.torch.optim.Optimizer optimizer, long step)
                {
                    using var ema = new Ema.ModelEma(model, Ema.DecaySchedules.FromJson("""{"decay": 0.999, "decay_type": "exp", "beta": {{1 + (index % 20)}}}"""));
                    optimizer.step();
                    ema.Update(step, 1000);
                    using (ema.UseEmaWeights())
                    {
                        model.eval();
                    }
                }
            }
            """");
    }

    private static void AppendSchedule(StringBuilder sb, int index)
    {
        sb.AppendLine(CultureInfo.InvariantCulture, $$"""
            [Ema.DecaySchedule("generated_{{index}}")]
            public sealed class GeneratedDecay{{index}}(double gamma = 2.0) : Ema.IDecayFunction
            {
                public double Gamma { get; } = gamma;

                public double Compute(double decay, long step, long totalSteps) =>
                    decay * (1 - Math.Pow(0.5, Gamma * step / (double)totalSteps));
            }

            """);
    }
}
