using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace Ema.Analyzers.Tests.Infrastructure;

/// <summary>
/// The references of every compilation under test: .NET 10's reference assemblies from a package (so nothing
/// is downloaded at test time) and the real Ema.Runtime contract, built by this solution.
/// </summary>
internal static class TestReferences
{
    /// <summary>A framework with no packages to resolve: all references come from <see cref="All"/>.</summary>
    public static ReferenceAssemblies None { get; } = new("net10.0");

    public static IReadOnlyList<MetadataReference> All { get; } =
        Basic.Reference.Assemblies.Net100.References.All
            .Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(Ema.EmaParams).Assembly.Location))
            .Append(MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location))
            .Append(MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Logging.ILogger).Assembly.Location)) // the loaders' logger parameter
            .ToArray();
}
