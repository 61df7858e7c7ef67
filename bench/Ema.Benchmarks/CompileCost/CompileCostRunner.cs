using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ema.Benchmarks.Measurement;

namespace Ema.Benchmarks.CompileCost;

/// <summary>
/// --compile-cost: builds the generated consumer project with and without Ema's generator and analyzers, in
/// alternating rounds, and reports the median build times and the compiler's own generator/analyzer times.
/// </summary>
internal static partial class CompileCostRunner
{
    public static int Run(string[] args)
    {
        int rounds = int.Parse(ArgValue(args, "--rounds") ?? "5", CultureInfo.InvariantCulture);
        string repoRoot = Ema.Testing.RepositoryRoot.Find();
        string work = Path.Combine(Path.GetTempPath(), "ema-compile-cost");
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }

        string with = Path.Combine(work, "with");
        string without = Path.Combine(work, "without");
        ProjectGenerator.Write(with, repoRoot, withEmaTools: true);
        ProjectGenerator.Write(without, repoRoot, withEmaTools: false);
        Console.Error.WriteLine($"generated {ProjectGenerator.Files} files, {ProjectGenerator.Constructions} constructions, {ProjectGenerator.Schedules} schedules in {work}");

        foreach (string dir in new[] { with, without })
        {
            Dotnet(dir, "restore");
            Dotnet(dir, "build --no-restore"); // warm-up: builds Ema.Runtime and the tools once, starts the compiler server
        }

        var samples = new Dictionary<string, List<double>> { ["with"] = [], ["without"] = [] };
        var generatorSeconds = new List<double>();
        var analyzerSeconds = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            foreach ((string name, string dir) in new[] { ("with", with), ("without", without) })
            {
                // A touched source makes the compiler run again while referenced projects stay up to date.
                File.SetLastWriteTimeUtc(Path.Combine(dir, "File000.cs"), DateTime.UtcNow);
                var watch = Stopwatch.StartNew();
                string log = Dotnet(dir, "build --no-restore -v:d");
                samples[name].Add(watch.Elapsed.TotalSeconds);
                if (name == "with")
                {
                    (double generators, double analyzers) = EmaSeconds(log);
                    generatorSeconds.Add(generators);
                    analyzerSeconds.Add(analyzers);
                }
            }
        }

        double w = Stats.Median(samples["with"]), wo = Stats.Median(samples["without"]);
        double gen = Stats.Median(generatorSeconds), ana = Stats.Median(analyzerSeconds);
        Console.WriteLine($"Compile cost: {ProjectGenerator.Files} files, {ProjectGenerator.Constructions} EmaParams constructions, {ProjectGenerator.Schedules} [DecaySchedule] classes; medians of {rounds} builds (dotnet build --no-restore after touching one file)");
        Console.WriteLine("| build | median s | overhead |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| without Ema generator/analyzers | {wo:0.00} | |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| with Ema generator/analyzers | {w:0.00} | {(w / wo - 1) * 100:0.0}% |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| compiler-reported Ema generator time (with) | {gen:0.000} | {gen / wo * 100:0.0}% of the build without |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| compiler-reported Ema analyzer time (with) | {ana:0.000} | {ana / wo * 100:0.0}% of the build without |"));
        // The target as the issue defines it: the median build with the tools against the median build without.
        bool met = w / wo - 1 <= 0.05;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Target: build with Ema's generator and analyzers <= 5% over the build without: {(met ? "MET" : "MISSED")} ({(w / wo - 1) * 100:0.0}%)"));
        // Stricter, and printed for what it shows: csc charges first-time binding and metadata loading to whichever
        // component touches the compilation first, so this also counts work the build does with or without Ema.
        bool attributedMet = (gen + ana) / wo <= 0.05;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Stricter reading: compiler-attributed Ema generator + analyzer time <= 5% of the build without: {(attributedMet ? "MET" : "MISSED")} ({(gen + ana) / wo * 100:0.0}%)"));
        Console.WriteLine("The whole-build difference also counts MSBuild checking the two extra ProjectReferences (absent when they ship in the package) and this machine's load.");
        Console.WriteLine(new JsonObject
        {
            ["case"] = "compile_cost",
            ["files"] = ProjectGenerator.Files,
            ["constructions"] = ProjectGenerator.Constructions,
            ["schedules"] = ProjectGenerator.Schedules,
            ["build_with_s"] = w,
            ["build_without_s"] = wo,
            ["build_overhead"] = w / wo - 1,
            ["generator_s"] = gen,
            ["analyzer_s"] = ana,
            ["tools_over_build"] = (gen + ana) / wo,
        }.ToJsonString());
        return 0;
    }

    // csc /reportanalyzer prints a table per kind ("Total generator execution time: ..." then one row per
    // assembly, "   0.012   3   Ema.Generators, Version=..."). The totals are dominated by the framework's own
    // generators (COM, LibraryImport, JSON), present in both builds, so only the Ema.* rows are summed.
    [GeneratedRegex(@"^\s*<?([0-9.]+)\s+<?[0-9]+\s+(Ema\.[\w.]+), Version=", RegexOptions.Multiline)]
    private static partial Regex EmaAssemblyRow();

    private static (double Generators, double Analyzers) EmaSeconds(string log)
    {
        double generators = 0, analyzers = 0;
        int generatorSection = log.IndexOf("Total generator execution time", StringComparison.Ordinal);
        foreach (Match m in EmaAssemblyRow().Matches(log))
        {
            double seconds = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            bool inGeneratorTable = generatorSection >= 0 && m.Index > generatorSection
                && (log.IndexOf("Total analyzer execution time", generatorSection, StringComparison.Ordinal) is var next && (next < 0 || m.Index < next));
            if (inGeneratorTable)
            {
                generators += seconds;
            }
            else
            {
                analyzers += seconds;
            }
        }

        return (generators, analyzers);
    }

    private static string Dotnet(string directory, string arguments)
    {
        var info = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {arguments} failed in {directory}:\n{Tail(stdout)}\n{stderr.Result}");
        }

        return stdout;
    }

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;

    private static string? ArgValue(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
