using System.Globalization;

namespace Ema;

/// <summary>
/// EDM2's power-function EMA profile: the relation between its exponent gamma and its relative width sigma_rel,
/// and its per-step decay. Shared by the <c>power</c> schedule and post-hoc EMA.
/// </summary>
internal static class PowerProfile
{
    /// <summary>1/sqrt(12): the sigma_rel of gamma = 0 (a uniform average); larger widths need a negative gamma.</summary>
    public const double MaxSigmaRel = 0.28867513459481287;

    /// <summary>
    /// gamma for a sigma_rel: the largest real root of <c>gamma^3 + 7 gamma^2 + (16 - s) gamma + (12 - s)</c> with
    /// <c>s = sigma_rel^-2</c>, which is <c>(gamma + 2)^2 (gamma + 3) = s (gamma + 1)</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">sigma_rel is not in (0, 1/sqrt(12)).</exception>
    /// <summary>Whether <paramref name="sigmaRel"/> is a power EMA's length: in (0, 1/sqrt(12)) (NaN is not).</summary>
    public static bool InRange(double sigmaRel) => sigmaRel > 0.0 && sigmaRel < MaxSigmaRel;

    public static double GammaOf(double sigmaRel)
    {
        if (!InRange(sigmaRel))
        {
            throw ConfigErrors.ArgumentOutOfRange(nameof(sigmaRel), string.Create(CultureInfo.InvariantCulture,
                $"sigma_rel = {sigmaRel:R} is outside the allowed range: sigma_rel must be > 0 and < 1/sqrt(12) = {MaxSigmaRel:R}, so that gamma > 0."));
        }

        double s = 1.0 / (sigmaRel * sigmaRel);

        // (g+2)^2 (g+3) / (g+1) > g^2, so the root lies below sqrt(s). The cubic is convex right of -7/3, so Newton's
        // method from above falls monotonically onto the largest root; it stops when the iterate no longer decreases.
        double gamma = Math.Sqrt(s);
        for (int i = 0; i < 200; i++)
        {
            double value = ((gamma + 7.0) * gamma + (16.0 - s)) * gamma + (12.0 - s);
            double slope = (3.0 * gamma + 14.0) * gamma + (16.0 - s);
            double next = gamma - value / slope;
            if (!(next < gamma))
            {
                break;
            }

            gamma = next;
        }

        return gamma;
    }

    /// <summary>sigma_rel for a gamma: <c>sqrt((gamma + 1) / ((gamma + 2)^2 (gamma + 3)))</c>.</summary>
    public static double SigmaRelOf(double gamma) => Math.Sqrt((gamma + 1.0) / ((gamma + 2.0) * (gamma + 2.0) * (gamma + 3.0)));

    /// <summary>The decay at <paramref name="step"/>: <c>(1 - 1/step)^(gamma + 1)</c>, 0 at steps 0 and 1 (the EMA copies the model).</summary>
    public static double Decay(double gamma, long step) => step <= 1 ? 0.0 : Math.Pow(1.0 - 1.0 / step, gamma + 1.0);
}
