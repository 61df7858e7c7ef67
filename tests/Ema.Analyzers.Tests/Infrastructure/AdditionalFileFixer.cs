using System.Collections.Immutable;
using Ema.Analyzers.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Ema.Analyzers.Tests.Infrastructure;

/// <summary>Applies <see cref="ReplaceWithSuggestionCodeFixProvider"/> to the diagnostics of one additional file, as the IDE does.</summary>
internal static class AdditionalFileFixer
{
    public static async Task<string> FixAllAsync<TAnalyzer>(string path, string text)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        using var workspace = new AdhocWorkspace();
        ProjectId projectId = ProjectId.CreateNewId();
        Solution solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "App", "App", LanguageNames.CSharp)
                .WithMetadataReferences(TestReferences.All)
                .WithCompilationOptions(new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)))
            .AddDocument(DocumentId.CreateNewId(projectId), "C.cs", "class C { }");
        DocumentId jsonId = DocumentId.CreateNewId(projectId);
        solution = solution.AddAdditionalDocument(jsonId, path, SourceText.From(text), filePath: path);

        var fixer = new ReplaceWithSuggestionCodeFixProvider();

        // One fix per round, re-analyzing in between, until no fixable diagnostic is left.
        for (int round = 0; round < 20; round++)
        {
            Project project = solution.GetProject(projectId)!;
            Compilation compilation = (await project.GetCompilationAsync())!;
            ImmutableArray<Diagnostic> diagnostics = await compilation
                .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new TAnalyzer()), project.AnalyzerOptions)
                .GetAnalyzerDiagnosticsAsync();
            Diagnostic? fixable = diagnostics.FirstOrDefault(d => fixer.FixableDiagnosticIds.Contains(d.Id) && d.Location.GetLineSpan().Path == path);
            TextDocument document = project.GetAdditionalDocument(jsonId)!;
            if (fixable is null)
            {
                return (await document.GetTextAsync()).ToString();
            }

            var actions = new List<CodeAction>();
            var context = new CodeFixContext(document, fixable, (action, _) => actions.Add(action), CancellationToken.None);
            await fixer.RegisterCodeFixesAsync(context);
            Assert.Single(actions);
            ImmutableArray<CodeActionOperation> operations = await actions[0].GetOperationsAsync(CancellationToken.None);
            solution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        }

        throw new InvalidOperationException("The fixes did not converge.");
    }
}
