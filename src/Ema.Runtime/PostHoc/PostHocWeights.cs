using System.Globalization;

namespace Ema;

/// <summary>
/// EDM2's Algorithm 3 (Karras et al. 2024): the weights that make a sum of power-EMA snapshots closest, in the
/// L2 sense over the averaging profiles, to the power EMA of another sigma_rel at another step.
/// </summary>
internal static class PostHocWeights
{
    /// <summary>
    /// The largest relative L2 distance between the wanted profile and the closest sum of snapshot profiles that
    /// <see cref="PostHocEma.Synthesize"/> accepts. Measured on EDM2's pair with 20 snapshots: sigma_rel 0.04 to 0.18
    /// are within 1.1%, 0.02 and 0.26 are 8% off (and 0.02 needs weights summing to 20 in magnitude, which
    /// amplifies the snapshots' noise); a step between two snapshots is 68% to 84% off.
    /// </summary>
    public const double MaxRelativeError = 0.05;

    /// <summary>
    /// How far the closest sum of snapshot profiles (with <paramref name="weights"/> from <see cref="Solve"/>) is from the
    /// wanted profile, relative to that profile's L2 norm: 0 for an exact fit.
    /// </summary>
    public static double RelativeError(IReadOnlyList<(long Step, double SigmaRel)> snapshots, double sigmaRel, long atStep, IReadOnlyList<double> weights)
    {
        double targetGamma = PowerProfile.GammaOf(sigmaRel);
        double[] gammas = snapshots.Select(s => PowerProfile.GammaOf(s.SigmaRel)).ToArray();
        double target = InnerProduct(atStep, targetGamma, atStep, targetGamma);

        // ||r - sum x_i p_i||^2 = <r, r> - 2 x.b + x'Ax, each term computed directly rather than through the
        // normal equations, so that a poor solve shows as error too.
        double cross = 0;
        double fitted = 0;
        for (int i = 0; i < snapshots.Count; i++)
        {
            cross += weights[i] * InnerProduct(snapshots[i].Step, gammas[i], atStep, targetGamma);
            for (int j = 0; j < snapshots.Count; j++)
            {
                fitted += weights[i] * weights[j] * InnerProduct(snapshots[i].Step, gammas[i], snapshots[j].Step, gammas[j]);
            }
        }

        return Math.Sqrt(Math.Max(0, target - (2 * cross) + fitted) / target);
    }

    /// <summary>Solves for the weight of each snapshot.</summary>
    /// <param name="snapshots">Each snapshot's step and sigma_rel.</param>
    /// <param name="sigmaRel">The profile wanted.</param>
    /// <param name="atStep">The step it is wanted at.</param>
    /// <returns>One weight per snapshot, in the given order.</returns>
    /// <exception cref="InvalidOperationException">The snapshots' profiles are linearly dependent (the same snapshot twice).</exception>
    public static double[] Solve(IReadOnlyList<(long Step, double SigmaRel)> snapshots, double sigmaRel, long atStep)
    {
        int n = snapshots.Count;
        double[] gammas = snapshots.Select(s => PowerProfile.GammaOf(s.SigmaRel)).ToArray();
        double targetGamma = PowerProfile.GammaOf(sigmaRel);
        var gram = new double[n, n];
        var right = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                gram[i, j] = InnerProduct(snapshots[i].Step, gammas[i], snapshots[j].Step, gammas[j]);
            }

            right[i] = InnerProduct(snapshots[i].Step, gammas[i], atStep, targetGamma);
        }

        return SolveSymmetricPositiveDefinite(gram, right);
    }

    /// <summary>
    /// The inner product of two power-function profiles, <c>p(t) = (gamma + 1) t^gamma / T^(gamma + 1)</c> on [0, T],
    /// ending at <paramref name="endA"/> and <paramref name="endB"/>.
    /// </summary>
    public static double InnerProduct(double endA, double gammaA, double endB, double gammaB)
    {
        // Integral over [0, min] of the product: written with the ratio of the ends so that no power overflows.
        double ratio = endA / endB;
        double exponent = endA < endB ? gammaB : -gammaA;
        return (gammaA + 1) * (gammaB + 1) * Math.Pow(ratio, exponent) / ((gammaA + gammaB + 1) * Math.Max(endA, endB));
    }

    /// <summary>Cholesky: the Gram matrix of linearly independent profiles is symmetric positive definite.</summary>
    private static double[] SolveSymmetricPositiveDefinite(double[,] a, double[] b)
    {
        int n = b.Length;
        var lower = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            double diagonal = a[j, j];
            for (int k = 0; k < j; k++)
            {
                diagonal -= lower[j, k] * lower[j, k];
            }

            if (!(diagonal > 1e-14 * a[j, j]))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"The snapshots' averaging profiles are linearly dependent (snapshot {j} adds nothing to the ones before it): remove repeated snapshots."));
            }

            lower[j, j] = Math.Sqrt(diagonal);
            for (int i = j + 1; i < n; i++)
            {
                double sum = a[i, j];
                for (int k = 0; k < j; k++)
                {
                    sum -= lower[i, k] * lower[j, k];
                }

                lower[i, j] = sum / lower[j, j];
            }
        }

        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double sum = b[i];
            for (int k = 0; k < i; k++)
            {
                sum -= lower[i, k] * y[k];
            }

            y[i] = sum / lower[i, i];
        }

        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = y[i];
            for (int k = i + 1; k < n; k++)
            {
                sum -= lower[k, i] * x[k];
            }

            x[i] = sum / lower[i, i];
        }

        return x;
    }
}
