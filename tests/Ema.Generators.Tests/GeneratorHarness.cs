using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Ema.Generators.Tests;

/// <summary>Real Roslyn compilations against offline .NET 10 reference assemblies and the real Ema.Runtime.dll.</summary>
internal static class GeneratorHarness
{
    public static readonly string RuntimePath = typeof(EmaParams).Assembly.Location;

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    public static readonly ImmutableArray<MetadataReference> References =
        [.. Net100.References.All,
            MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Logging.ILogger).Assembly.Location), // the loaders' logger parameter
            MetadataReference.CreateFromFile(RuntimePath)]; // last: BaselineTests removes it to compile the runtime from source

    public static CSharpCompilation Compile(string assemblyName, IEnumerable<MetadataReference>? extra = null, params string[] sources) =>
        CSharpCompilation.Create(
            assemblyName,
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References.AddRange(extra ?? []),
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                warningLevel: 9999,
                deterministic: true,
                // The SDK passes /nowarn:1701,1702 too: unification of TorchSharp's net8.0 references with the
                // net10.0 reference assemblies is expected, not a problem of the generated code.
                specificDiagnosticOptions: new Dictionary<string, ReportDiagnostic>
                {
                    ["CS1701"] = ReportDiagnostic.Suppress,
                    ["CS1702"] = ReportDiagnostic.Suppress,
                }));

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new DecayScheduleGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once; asserts it did not throw or report anything.</summary>
    public static (GeneratorRunResult Result, Compilation Output) Run(Compilation compilation)
    {
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        Assert.Empty(diagnostics);
        return (result, output);
    }

    public static string Source(GeneratorRunResult result, string hintName) =>
        result.GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();

    /// <summary>Warnings and errors of a compilation, formatted for assertion messages.</summary>
    public static string[] Problems(Compilation compilation) =>
        compilation.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .Select(d => d.ToString())
            .ToArray();

    /// <summary>
    /// Every error, and the warnings located in generated files: test sources skip XML docs on purpose (CS1591
    /// there is not the generator's doing), generated code must have none.
    /// </summary>
    public static string[] GeneratedProblems(Compilation input, Compilation output) =>
        output.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error
                || (d.Severity == DiagnosticSeverity.Warning && (d.Location.SourceTree == null || !input.SyntaxTrees.Contains(d.Location.SourceTree))))
            .Select(d => d.ToString())
            .ToArray();

    /// <summary>Compiles the sources, runs the generator, asserts the generated code is clean and returns the image.</summary>
    public static byte[] CompileWithGenerator(string name, IEnumerable<MetadataReference>? extra, params string[] sources)
    {
        var input = Compile(name, extra, sources);
        var (_, output) = Run(input);
        Assert.Empty(GeneratedProblems(input, output));
        return Emit(output);
    }

    public static byte[] Emit(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Diagnostics));
        return stream.ToArray();
    }
}

/// <summary>
/// A load context with its own copy of Ema.Runtime (so its static schedule registry starts empty and a test's
/// registrations, or conflicts, cannot leak into other tests) plus in-memory compiled assemblies.
/// </summary>
internal sealed class IsolatedRuntime : AssemblyLoadContext
{
    private readonly Dictionary<string, byte[]> _images;

    public IsolatedRuntime(Dictionary<string, byte[]> images)
        : base(isCollectible: true)
    {
        _images = images;
    }

    public object? Invoke(string assembly, string type, string method)
    {
        Assembly loaded = LoadFromAssemblyName(new AssemblyName(assembly));
        try
        {
            return loaded.GetType(type, throwOnError: true)!.GetMethod(method)!.Invoke(null, null);
        }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            throw e.InnerException;
        }
    }

    protected override Assembly? Load(AssemblyName name)
    {
        if (name.Name == "Ema.Runtime")
        {
            return LoadFromAssemblyPath(GeneratorHarness.RuntimePath);
        }

        return name.Name != null && _images.TryGetValue(name.Name, out byte[]? image) ? LoadFromStream(new MemoryStream(image)) : null;
    }
}
