using System.IO.Compression;
using System.Xml.Linq;

namespace Ema.Packaging.Tests;

/// <summary>What the one nupkg carries.</summary>
[Collection(PackageCollection.Name)]
public sealed class PackageContentTests(PackageFixture package)
{
    [Fact]
    public void The_package_carries_runtime_docs_generator_analyzers_code_fixes_targets_and_readme()
    {
        using ZipArchive zip = ZipFile.OpenRead(package.Package);
        string[] entries = zip.Entries.Select(e => e.FullName).ToArray();
        string[] expected =
        {
            "lib/net10.0/Ema.Runtime.dll",
            "lib/net10.0/Ema.Runtime.xml",
            "analyzers/dotnet/roslyn4.8/cs/Ema.Generators.dll",
            "analyzers/dotnet/roslyn4.8/cs/Ema.Analyzers.dll",
            "analyzers/dotnet/roslyn4.8/cs/Ema.Analyzers.CodeFixes.dll",
            "buildTransitive/Ema.Runtime.targets",
            "PACKAGE.md",
            "docs/diagnostics/EMA0001.md",
            "docs/diagnostics/EMA0006.md",
        };
        Assert.All(expected, e => Assert.Contains(e, entries));

        // Roslyn components must not also land where the app would reference or copy them.
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("Analyzers", StringComparison.Ordinal));
    }

    [Fact]
    public void The_nuspec_has_metadata_and_depends_only_on_managed_TorchSharp_and_the_configuration_and_logging_abstractions()
    {
        using ZipArchive zip = ZipFile.OpenRead(package.Package);
        using Stream stream = zip.GetEntry("Ema.Runtime.nuspec")!.Open();
        XElement metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Value(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;

        Assert.Equal("Ema.Runtime", Value("id"));
        Assert.Equal(package.Version, Value("version"));
        Assert.Equal("PACKAGE.md", Value("readme"));
        Assert.Equal("MIT", Value("license"));
        Assert.False(string.IsNullOrWhiteSpace(Value("description")));
        string[] dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToArray();
        Assert.Equal(new[] { "Microsoft.Extensions.Configuration.Abstractions", "Microsoft.Extensions.Logging.Abstractions", "System.IO.Hashing", "TorchSharp" }, dependencies); // no native backend: the application picks TorchSharp-cpu or -cuda
    }
}
