using static TorchSharp.torch;

namespace Ema.Benchmarks.Cases;

/// <summary>A benchmark case: the model's tensors, the model's floating dtype and the EMA's (null: the model's).</summary>
internal sealed record CaseDefinition(string Name, string Description, IReadOnlyList<TensorSpec> Specs, ScalarType ModelDtype, ScalarType? EmaDtype)
{
    /// <summary>The EMA's non-finite policy; the default (Skip) reads the model once more per update.</summary>
    public NonFinitePolicy NonFinite { get; init; } = NonFinitePolicy.Skip;

    public ScalarType EffectiveEmaDtype => EmaDtype ?? ModelDtype;

    public long FloatingValues => Specs.Where(s => s.IsFloating).Sum(s => s.Count);

    /// <summary>int64 counters (BatchNorm's num_batches_tracked): copied, not averaged, but part of the EMA's state.</summary>
    public long IntegerValues => Specs.Where(s => !s.IsFloating).Sum(s => s.Count);

    public int FloatingTensors => Specs.Count(s => s.IsFloating);

    public static IReadOnlyList<CaseDefinition> Full() =>
    [
        new("a_resnet50_f32", "ResNet-50, float32", ShapeSets.ResNet50(), ScalarType.Float32, null),
        // The same as (a) without the non-finite check: the update alone against the floor.
        new("a2_resnet50_f32_nocheck", "ResNet-50, float32, NonFinite = Ignore", ShapeSets.ResNet50(), ScalarType.Float32, null) { NonFinite = NonFinitePolicy.Ignore },
        new("b_2000x512_f32", "2,000 tensors of 512, float32", ShapeSets.ManySmall(2000, 512), ScalarType.Float32, null),
        new("c_resnet50_bf16_emaf32", "ResNet-50, bf16 model, float32 EMA", ShapeSets.ResNet50(), ScalarType.BFloat16, ScalarType.Float32),
    ];

    public static IReadOnlyList<CaseDefinition> Smoke() =>
    [
        new("smoke_f32", "tiny, float32", ShapeSets.Tiny(), ScalarType.Float32, null),
        new("smoke_bf16_emaf32", "tiny, bf16 model, float32 EMA", ShapeSets.Tiny(), ScalarType.BFloat16, ScalarType.Float32),
    ];
}
