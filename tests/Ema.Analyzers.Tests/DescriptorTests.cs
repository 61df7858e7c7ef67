namespace Ema.Analyzers.Tests;

public sealed class DescriptorTests
{
    [Fact]
    public void Diagnostics_use_the_Ema_category()
    {
        Assert.Equal("Ema", Ema.Analyzers.DiagnosticDescriptors.Category);
    }
}
