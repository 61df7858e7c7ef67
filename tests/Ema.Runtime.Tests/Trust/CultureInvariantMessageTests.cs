using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Trust;

/// <summary>
/// Numbers in the runtime's messages read the same in every culture (ConfigErrors.Format, ConfigErrors.ArgumentOutOfRange):
/// Swedish writes 0,5 and a minus sign U+2212, which a message must not.
/// </summary>
public sealed class CultureInvariantMessageTests
{
    private const char SwedishMinus = '\u2212';

    [Fact]
    public void Out_of_range_arguments_and_EMA_messages_write_numbers_invariantly_under_a_Swedish_culture()
    {
        CultureInfo previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("sv-SE");
        try
        {
            Assert.Equal("0,5", 0.5.ToString(CultureInfo.CurrentCulture)); // the culture does what the test relies on

            string decay = Assert.ThrowsAny<ArgumentException>(() => new ConstantEmaParams(1.5)).Message;
            string sigma = Assert.ThrowsAny<ArgumentException>(() => new PowerEmaParams(sigmaRel: 0.5)).Message;
            string every = Assert.ThrowsAny<ArgumentException>(() => new ModelEmaOptions { UpdateEvery = -5 }).Message;
            using var model = new LinearBatchNorm();
            using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
            string step = Assert.ThrowsAny<ArgumentException>(() => ema.Update(-5, 10)).Message;

            using var wide = nn.Linear(2, 2, dtype: ScalarType.Float64);
            using (no_grad())
            {
                wide.weight![0, 0] = tensor(1e39, ScalarType.Float64);
            }

            string narrow = Assert.ThrowsAny<ArgumentException>(() => new ModelEma(wide, new ConstantEmaParams(0.5), new ModelEmaOptions { FloatingDtype = ScalarType.BFloat16 })).Message;

            Assert.Contains("decay = 1.5", decay, StringComparison.Ordinal);
            Assert.Contains("sigma_rel = 0.5", sigma, StringComparison.Ordinal);
            Assert.Contains("UpdateEvery = -5", every, StringComparison.Ordinal);
            Assert.Contains("step = -5", step, StringComparison.Ordinal);
            Assert.Contains("1E+39", narrow, StringComparison.Ordinal);
            foreach (string message in new[] { decay, sigma, every, step, narrow })
            {
                Assert.DoesNotContain("0,5", message, StringComparison.Ordinal);
                Assert.DoesNotContain("1,5", message, StringComparison.Ordinal);
                Assert.DoesNotContain(SwedishMinus, message);
                Assert.DoesNotContain("E+38", message.Replace("3.3895313892515355E+38", "", StringComparison.Ordinal), StringComparison.Ordinal); // the limit itself, invariant
            }
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }
}
