using Ema.Packaging.Tests;

namespace Ema.Samples.Tests;

/// <summary>
/// The samples reference Ema as a user's project does (samples/Directory.Build.targets): the analyzers run in their
/// builds and their JSON configs are AdditionalFiles. So a decay of 1.2 in the training sample's train.json must fail
/// its build with EMA0001 at that value. The sample is built from a copy, to leave the repository's file alone.
/// </summary>
public sealed class TrainingConfigBuildTests : IDisposable
{
    private readonly string _copy = Directory.CreateTempSubdirectory("ema-sample-build-").FullName;

    [Fact]
    public void A_decay_of_1_2_in_train_json_fails_the_sample_build_with_EMA0001_at_the_value()
    {
        string root = RepositoryRoot.Find();
        string sample = Path.Combine(root, "samples", "Ema.Samples.Training");
        // The sources in subfolders (FashionMnist/) too; not the build output.
        foreach (string file in Directory.EnumerateFiles(sample, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(sample, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj")
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_copy, relative))!);
            File.Copy(file, Path.Combine(_copy, relative));
        }

        string trainJson = Path.Combine(_copy, "train.json");
        string original = File.ReadAllText(trainJson);
        string broken = original.Replace("\"decay\": 0.995", "\"decay\": 1.2", StringComparison.Ordinal);
        Assert.NotEqual(original, broken);
        File.WriteAllText(trainJson, broken);

        // The copy lives outside the repository: point MSBuild at the repository's Directory.* files, which is where
        // the wiring under test lives. The referenced projects are already built (this test project references the samples).
        ProcessRunner.Result build = ProcessRunner.Dotnet(
            _copy,
            "build",
            "Ema.Samples.Training.csproj",
            "-c", Configuration,
            "-p:BuildProjectReferences=false",
            "-p:DirectoryBuildPropsPath=" + Path.Combine(root, "Directory.Build.props"),
            "-p:DirectoryBuildTargetsPath=" + Path.Combine(root, "samples", "Directory.Build.targets"),
            "-p:DirectoryPackagesPropsPath=" + Path.Combine(root, "Directory.Packages.props"));

        Assert.NotEqual(0, build.ExitCode);
        string[] lines = broken.Split('\n');
        int line = Array.FindIndex(lines, l => l.Contains("\"decay\": 1.2", StringComparison.Ordinal));
        int column = lines[line].IndexOf("1.2", StringComparison.Ordinal) + 1;
        Assert.Contains($"train.json({line + 1},{column}): error EMA0001: decay = 1.2 is outside the allowed range", build.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"error (?!EMA0001)[A-Z]+\d+", build.Output);
    }

    public void Dispose() => Directory.Delete(_copy, recursive: true);

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif
}
