using Ema.Generators;
using Microsoft.CodeAnalysis;

namespace Ema.Generators.Tests;

public sealed class GeneratorSmokeTests
{
    [Fact]
    public void Generator_is_an_incremental_generator()
    {
        Assert.IsAssignableFrom<IIncrementalGenerator>(new DecayScheduleGenerator());
    }
}
