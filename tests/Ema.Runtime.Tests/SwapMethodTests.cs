using TorchSharp;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests;

/// <summary>
/// UseEmaWeights by re-pointing tensors and by exchanging values: the same contract on both paths (the EMA in
/// the model inside, the raw weights back bit for bit after, the same Parameter objects, no shared memory after).
/// </summary>
public sealed class SwapMethodTests
{
    public static TheoryData<string> Methods => new() { nameof(SwapMethod.Repoint), nameof(SwapMethod.Exchange) };

    [Theory]
    [MemberData(nameof(Methods))]
    public void The_EMA_is_in_the_model_inside_and_the_raw_weights_come_back_bit_exact(string method)
    {
        using var trained = new Trained(method, seed: 1, steps: 3);
        (ManySmall model, ModelEma ema) = (trained.Model, trained.Ema);
        Dictionary<string, Tensor> before = model.state_dict();
        Dictionary<string, int[]> raw = Bits(before), averaged = Bits(ema.EmaWeights);
        Assert.True(raw.Any(p => !p.Value.SequenceEqual(averaged[p.Key])), "the EMA should differ from the raw weights");

        using (ema.UseEmaWeights())
        {
            Dictionary<string, Tensor> inside = model.state_dict();
            Assert.All(before, p => Assert.Same(p.Value, inside[p.Key])); // the same Parameter and buffer objects
            AssertBits(averaged, Bits(inside));
            AssertBits(averaged, Bits(ema.EmaWeights));
        }

        AssertBits(raw, Bits(model.state_dict()));
        AssertBits(averaged, Bits(ema.EmaWeights));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void After_the_scope_the_EMA_shares_no_memory_with_the_model_and_updates_follow_the_formula(string method)
    {
        using var trained = new Trained(method, seed: 3, steps: 2);
        (ManySmall model, ModelEma ema) = (trained.Model, trained.Ema);
        using (ema.UseEmaWeights())
        {
            _ = ema.EmaWeights; // on the exchange path this points the EMA views at the model until the scope ends
        }

        Dictionary<string, float[]> emaBefore = TrainingSupport.Snapshot(ema.EmaWeights);
        using (no_grad())
        {
            foreach (Tensor t in model.parameters())
            {
                t.add_(100f); // a write to the model ...
            }
        }

        TrainingSupport.AssertSame(emaBefore, TrainingSupport.Snapshot(ema.EmaWeights)); // ... does not reach the EMA

        // And the next update is ema + (1 - d) (model - ema) from the EMA kept, against the model's values now.
        Dictionary<string, float[]> modelNow = TrainingSupport.Snapshot(model);
        ema.Update(ema.Step + 1, 1000);
        double w = 1 - ema.LastDecay;
        foreach ((string name, float[] e) in emaBefore.Where(p => model.state_dict()[p.Key].is_floating_point()))
        {
            float[] expected = e.Zip(modelNow[name], (a, m) => (float)(a + (w * (m - a)))).ToArray();
            float[] actual = ModuleValues.Get(ema.EmaWeights[name]);
            Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 1e-4f));
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Writes_through_the_model_inside_the_scope_end_in_the_EMA_on_both_paths(string method)
    {
        using var trained = new Trained(method, seed: 5, steps: 2);
        (ManySmall model, ModelEma ema) = (trained.Model, trained.Ema);
        Dictionary<string, int[]> raw = Bits(model.state_dict());
        Tensor first = model.parameters().First();
        float written;
        using (ema.UseEmaWeights())
        {
            using (no_grad())
            {
                first.mul_(2f); // the model computes with the EMA: as with shared memory, the EMA takes the write
            }

            written = ModuleValues.Get(first)[0];
        }

        AssertBits(raw, Bits(model.state_dict()));
        Assert.Equal(written, ModuleValues.Get(ema.EmaWeights[model.state_dict().First(p => ReferenceEquals(p.Value, first)).Key])[0]);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Disposing_the_EMA_inside_the_scope_gives_the_raw_weights_back(string method)
    {
        using var trained = new Trained(method, seed: 7, steps: 2);
        (ManySmall model, ModelEma ema) = (trained.Model, trained.Ema);
        Dictionary<string, int[]> raw = Bits(model.state_dict());
        IDisposable scope = ema.UseEmaWeights();
        ema.Dispose();
        AssertBits(raw, Bits(model.state_dict()));
        scope.Dispose();
        AssertBits(raw, Bits(model.state_dict()));
    }

    [Fact]
    public void Many_small_tensors_are_exchanged_and_a_few_large_ones_re_pointed()
    {
        using var small = new ManySmall(seed: 9);
        using var smallEma = new ModelEma(small, new ConstantEmaParams(0.9));
        using var large = new LinearBatchNorm();
        using var largeEma = new ModelEma(large, new ConstantEmaParams(0.9));

        // The float32 group of 40 tensors of 5 values costs less to exchange than to re-point; the int64 counter,
        // a single tensor, and LinearBatchNorm's 6 tensors cost less to re-point than one exchanged chunk.
        Assert.Equal([SwapMethod.Repoint, SwapMethod.Exchange], smallEma.SwapMethods.Order());
        Assert.All(largeEma.SwapMethods, m => Assert.Equal(SwapMethod.Repoint, m));
        Assert.Equal(SwapMethod.Exchange, SwapCost.Choose(2000, 2000 * 512 * sizeof(float), ChunkedPair.Count(2000 * 512)));
    }

    internal static ModelEma Make(nn.Module model, string method)
    {
        using (SwapCost.Force(Enum.Parse<SwapMethod>(method)))
        {
            var ema = new ModelEma(model, new ConstantEmaParams(0.5));
            Assert.Contains(Enum.Parse<SwapMethod>(method), ema.SwapMethods);
            return ema;
        }
    }

    /// <summary>Moves the model's floating tensors by seeded noise and updates the EMA after each move.</summary>
    private static void Step(nn.Module model, ModelEma ema, int steps, int seed)
    {
        using var generator = new Generator((ulong)seed);
        for (int s = 1; s <= steps; s++)
        {
            using (no_grad())
            {
                foreach (Tensor t in model.state_dict().Values.Where(t => t.is_floating_point()))
                {
                    using Tensor noise = randn(t.shape, generator: generator);
                    t.add_(noise);
                }
            }

            ema.Update(ema.Step + 1, 1000);
        }
    }

    /// <summary>A ManySmall model and its EMA with the swap method forced, after a few seeded steps.</summary>
    private sealed class Trained : IDisposable
    {
        public Trained(string method, int seed, int steps)
        {
            Model = new ManySmall(seed);
            Ema = Make(Model, method);
            Step(Model, Ema, steps, seed + 1);
        }

        public ManySmall Model { get; }

        public ModelEma Ema { get; }

        public void Dispose()
        {
            Ema.Dispose(); // harmless when a test disposed it already
            Model.Dispose();
        }
    }

    /// <summary>Each tensor's values as raw bits (float32 and int64 alike, via float64 for the counters).</summary>
    private static Dictionary<string, int[]> Bits(IEnumerable<KeyValuePair<string, Tensor>> tensors) =>
        tensors.ToDictionary(p => p.Key, p => ModuleValues.Get(p.Value).Select(BitConverter.SingleToInt32Bits).ToArray());

    private static void AssertBits(Dictionary<string, int[]> expected, Dictionary<string, int[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.All(expected, p => Assert.True(p.Value.SequenceEqual(actual[p.Key]), $"'{p.Key}' differs bit-wise"));
    }

    /// <summary>40 parameters of 5 values, a float buffer and an int64 counter: many small tensors.</summary>
    internal sealed class ManySmall : nn.Module
    {
        private readonly List<Tensor> _buffers = [];

        public ManySmall(int seed)
            : base(nameof(ManySmall))
        {
            using var generator = new Generator((ulong)seed);
            for (int i = 0; i < 40; i++)
            {
                register_parameter($"p{i}", nn.Parameter(randn(new long[] { 5 }, generator: generator)));
            }

            _buffers.Add(randn(new long[] { 3 }, generator: generator));
            _buffers.Add(zeros(new long[] { 1 }, ScalarType.Int64));
            register_buffer("stat", _buffers[0]);
            register_buffer("count", _buffers[1]);
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing)
            {
                _buffers.ForEach(b => b.Dispose());
            }
        }
    }
}

/// <summary>DisposeScopeManager's statistics are process-wide: this runs with the other tensor-count tests, alone.</summary>
[Collection(nameof(TensorCountTests))]
public sealed class SwapMethodAllocationTests
{
    [Fact]
    public void An_exchange_swap_creates_no_tensor()
    {
        using var model = new SwapMethodTests.ManySmall(seed: 10);
        using ModelEma ema = SwapMethodTests.Make(model, nameof(SwapMethod.Exchange));
        ema.UseEmaWeights().Dispose(); // warm: nothing is allocated lazily on this path, but JIT and caches are
        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 10; i++)
        {
            ema.UseEmaWeights().Dispose();
        }

        Assert.Equal(0, DisposeScopeManager.Statistics.CreatedOutsideScopeCount + DisposeScopeManager.Statistics.CreatedInScopeCount);
    }
}
