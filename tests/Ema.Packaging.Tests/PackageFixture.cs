namespace Ema.Packaging.Tests;

/// <summary>
/// Packs Ema.Runtime once for all packaging tests, into a temporary feed, under a version no earlier run
/// used, so a cached Ema.Runtime can never stand in for this build. Consumers live next to the feed, outside
/// the repository, with their own nuget.config.
/// </summary>
public sealed class PackageFixture : IDisposable
{
    public PackageFixture()
    {
        RepoRoot = RepositoryRoot.Find();
        Version = "0.1.0-pkgtest." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "." + Environment.ProcessId;
        WorkDirectory = Directory.CreateTempSubdirectory("ema-packaging-").FullName;
        Feed = Directory.CreateDirectory(Path.Combine(WorkDirectory, "feed")).FullName;
        Consumers = Directory.CreateDirectory(Path.Combine(WorkDirectory, "consumers")).FullName;

        string project = Path.Combine(RepoRoot, "src", "Ema.Runtime", "Ema.Runtime.csproj");

        // Restore without the test version, then pack with it: the repo's restore state stays as a normal build left it.
        ProcessRunner.Result restore = ProcessRunner.Dotnet(RepoRoot, "restore", project);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        PackResult = ProcessRunner.Dotnet(RepoRoot, "pack", project, "-c", "Release", "--no-restore", "-o", Feed, "-p:PackageVersion=" + Version);
        Assert.True(PackResult.ExitCode == 0, PackResult.ToString());
        Package = Path.Combine(Feed, $"Ema.Runtime.{Version}.nupkg");
        Assert.True(File.Exists(Package), PackResult.ToString());

        WriteIsolation();
    }

    public string RepoRoot { get; }

    public string Version { get; }

    public string WorkDirectory { get; }

    public string Feed { get; }

    public string Consumers { get; }

    public string Package { get; }

    public ProcessRunner.Result PackResult { get; }

    /// <summary>Writes a consumer project and restores it: the one restore; builds then use --no-restore.</summary>
    public string CreateConsumer(string name, IReadOnlyDictionary<string, string> files, bool additionalJson = false)
    {
        string directory = Directory.CreateDirectory(Path.Combine(Consumers, name)).FullName;
        string additional = additionalJson ? "<ItemGroup><AdditionalFiles Include=\"*.json\" /><None Include=\"*.json\" CopyToOutputDirectory=\"PreserveNewest\" /></ItemGroup>" : string.Empty;
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <!-- TorchSharp asks for dependency versions the registry serves only as newer patches. -->
                <NoWarn>$(NoWarn);NU1603</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Ema.Runtime" Version="{Version}" />
              </ItemGroup>
              {additional}
            </Project>
            """);
        foreach ((string file, string text) in files)
        {
            File.WriteAllText(Path.Combine(directory, file), text);
        }

        ProcessRunner.Result restore = ProcessRunner.Dotnet(directory, "restore");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        return directory;
    }

    public static ProcessRunner.Result Build(string consumer) =>
        ProcessRunner.Dotnet(consumer, "build", "--no-restore", "-nologo", "-clp:NoSummary");

    public void Dispose()
    {
        TryDelete(WorkDirectory);

        // The unique version was extracted into the global packages folder; leave no trace of it there.
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ??
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        TryDelete(Path.Combine(packages, "ema.runtime", Version));
    }

    private void WriteIsolation()
    {
        // The machine's own source (nuget.org) for TorchSharp and friends, the temporary feed for Ema.Runtime.
        File.WriteAllText(Path.Combine(Consumers, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="ema-under-test" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="ema-under-test"><package pattern="Ema.Runtime" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);

        // Stop MSBuild's upward search here, whatever lies above the temp folder.
        File.WriteAllText(Path.Combine(Consumers, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(Consumers, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(Consumers, "Directory.Packages.props"), "<Project />");
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless; failing the run over it is not.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PackageCollection : ICollectionFixture<PackageFixture>
{
    public const string Name = "Ema.Runtime package";
}
