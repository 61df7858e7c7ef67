namespace Ema.Generators.Tests;

/// <summary>Schedule sources the tests compile.</summary>
internal static class Sources
{
    public const string Linear = """
        using Ema;

        namespace Seed;

        [DecaySchedule("linear")]
        public sealed class LinearDecay : IDecayFunction
        {
            public double Compute(double decay, long step, long totalSteps) => decay * step / totalSteps;
        }
        """;

    public const string EveryType = """
        using Ema;

        namespace Shapes;

        public enum WarmupShape { Linear, Cosine, Step = 7 }

        [DecaySchedule("every-type")]
        public sealed class EveryTypeDecay : IDecayFunction
        {
            public EveryTypeDecay() : this(1.0) { }

            public EveryTypeDecay(
                double scale,
                float gain = 0.25f,
                int warmupSteps = 100,
                long seed = -9000000000L,
                bool clamp = true,
                string label = "a \"quoted\" label",
                string? note = null,
                WarmupShape shape = WarmupShape.Step,
                double maxLR = 1e-3)
            {
            }

            public double Compute(double decay, long step, long totalSteps) => decay;
        }
        """;

    public const string Ranged = """
        using System.ComponentModel.DataAnnotations;
        using Ema;

        namespace Ranges;

        /// <summary>A schedule with bounded parameters.</summary>
        /// <param name="floor">The lowest decay,
        /// as a fraction of <see cref="System.Math"/> &amp; co</param>
        [DecaySchedule("ranged")]
        public sealed class RangedDecay(
            [Range(0.0, 1.0, MaximumIsExclusive = true)] double floor = 0.5,
            [Range(1, 1000)] int warmupSteps = 10,
            [Range(0.0, double.MaxValue, MinimumIsExclusive = true)] float gain = 2f) : IDecayFunction
        {
            public double Compute(double decay, long step, long totalSteps) => decay;
        }
        """;

    public const string NestedNamespace = """
        namespace Company.Training.Schedules
        {
            namespace Inner
            {
                public static class Holder
                {
                    [global::Ema.DecaySchedule("nested")]
                    public sealed class NestedDecay : global::Ema.IDecayFunction
                    {
                        public double Compute(double decay, long step, long totalSteps) => decay;
                    }
                }
            }
        }
        """;

    public const string GlobalNamespace = """
        [Ema.DecaySchedule("global")]
        public sealed class GlobalDecay(double power = 2) : Ema.IDecayFunction
        {
            public double Power { get; } = power;

            public double Compute(double decay, long step, long totalSteps) => decay;
        }
        """;

    public const string Hyphen = """
        namespace Ema.Extra;

        [DecaySchedule("warm-cosine")]
        public sealed class WarmCosineDecay(long warmupSteps = 1000) : IDecayFunction
        {
            public double Compute(double decay, long step, long totalSteps) => step < warmupSteps ? 0 : decay;
        }
        """;
}
