using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Ema.Analyzers.Tests;

/// <summary>The diagnostics' contract: ids, severities, help pages and release tracking agree.</summary>
public sealed class DescriptorTests
{
    private static readonly DiagnosticAnalyzer[] s_analyzers =
    {
        new DecayValueAnalyzer(), new ScheduleNameAnalyzer(), new ScheduleDeclarationAnalyzer(), new JsonConfigAnalyzer(),
        new Lifecycle.EmaWeightsScopeAnalyzer(), new Lifecycle.ModelMovedAfterEmaAnalyzer(), new Lifecycle.StepInsideEmaScopeAnalyzer(),
    };

    private static IEnumerable<DiagnosticDescriptor> All() =>
        s_analyzers.SelectMany(a => a.SupportedDiagnostics).DistinctBy(d => d.Id).OrderBy(d => d.Id, StringComparer.Ordinal);

    [Fact]
    public void The_analyzers_report_exactly_EMA0001_to_EMA0009_with_the_designed_severities()
    {
        Assert.Equal(
            new[] { "EMA0001:Error", "EMA0002:Error", "EMA0003:Error", "EMA0004:Error", "EMA0005:Error", "EMA0006:Warning", "EMA0007:Warning", "EMA0008:Warning", "EMA0009:Warning" },
            All().Select(d => d.Id + ":" + d.DefaultSeverity));
        Assert.All(All(), d => Assert.Equal(DiagnosticDescriptors.Category, d.Category));
    }

    [Fact]
    public void Every_diagnostic_names_its_page_the_page_exists_and_no_link_points_nowhere()
    {
        string root = RepositoryRoot.Find();
        foreach (DiagnosticDescriptor descriptor in All())
        {
            // The project has no public address: no help link rather than one that does not resolve.
            Assert.Equal("", descriptor.HelpLinkUri);
            Assert.EndsWith($"docs/diagnostics/{descriptor.Id}.md in the Ema.Runtime package.", descriptor.Description.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            string page = Path.Combine(root, "docs", "diagnostics", descriptor.Id + ".md");
            Assert.True(File.Exists(page), page);
            Assert.StartsWith("# " + descriptor.Id + ":", File.ReadAllText(page), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_diagnostic_is_tracked_in_the_release_files()
    {
        string root = RepositoryRoot.Find();
        string tracked = File.ReadAllText(Path.Combine(root, "src", "Ema.Analyzers", "AnalyzerReleases.Shipped.md")) +
            File.ReadAllText(Path.Combine(root, "src", "Ema.Analyzers", "AnalyzerReleases.Unshipped.md"));
        Assert.All(All(), d => Assert.Contains($"{d.Id} | Ema | {d.DefaultSeverity} |", tracked, StringComparison.Ordinal));
    }
}
