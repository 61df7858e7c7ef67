namespace Ema.Packaging.Tests;

public sealed class PackagingSmokeTests
{
    [Fact]
    public void Runtime_project_ships_the_buildTransitive_fix()
    {
        string root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        Assert.True(File.Exists(Path.Combine(root, "src/Ema.Runtime/buildTransitive/Ema.Runtime.targets")), root);
    }
}
