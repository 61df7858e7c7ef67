using TorchSharp;
using TorchSharp.Modules;
using static Ema.Runtime.Tests.TrainingSupport;
using static TorchSharp.torch;

namespace Ema.Runtime.Tests.Trust;

/// <summary>
/// The model changes under the EMA: a tensor registered or replaced after the EMA was made is named at the next use,
/// a complex tensor is refused at construction, and a disposed model is called disposed (not blamed on module.to).
/// </summary>
public sealed class ModelChangeTests
{
    [Fact]
    public void A_parameter_registered_after_the_EMA_was_made_is_named_at_the_first_update()
    {
        using var model = new Growing();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));

        model.Grow();

        var error = Assert.Throws<InvalidOperationException>(() => ema.Update(1, 10));
        Assert.Contains("'extra'", error.Message, StringComparison.Ordinal);
        Assert.Contains("registered after the ModelEma was made", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, ema.Step);
    }

    [Fact]
    public void A_parameter_registered_during_training_is_named_at_the_next_validation_and_save_so_no_checkpoint_misses_it()
    {
        using var dir = new TempDir();
        using var model = new Growing();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));
        ema.Update(1, 10);

        model.Grow();

        Assert.Contains("'extra'", Assert.Throws<InvalidOperationException>(() => ema.UseEmaWeights()).Message, StringComparison.Ordinal);
        string path = dir.File("c.safetensors");
        Assert.Contains("'extra'", Assert.Throws<InvalidOperationException>(() => Checkpoint.Save(path, model, ema)).Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Assert.Throws<InvalidOperationException>(() => ema.CopyToModel());
    }

    [Fact]
    public void A_complex_parameter_is_refused_at_construction_naming_it_and_accepted_when_left_out()
    {
        using var model = new WithComplex();

        var error = Assert.Throws<ArgumentException>(() => new ModelEma(model, new ConstantEmaParams(0.5)));
        Assert.Contains("'z'", error.Message, StringComparison.Ordinal);
        Assert.Contains("ComplexFloat32", error.Message, StringComparison.Ordinal);
        Assert.Contains("Exclude", error.Message, StringComparison.Ordinal);

        using var ema = new ModelEma(model, new ConstantEmaParams(0.5), new ModelEmaOptions { Exclude = EmaExclude.Names("z") });
        ema.Update(1, 10);
    }

    [Fact]
    public void A_disposed_model_is_called_disposed_and_not_blamed_on_module_to()
    {
        var model = new LinearBatchNorm();
        using var ema = new ModelEma(model, new ConstantEmaParams(0.5));

        model.Dispose();

        var error = Assert.Throws<InvalidOperationException>(() => ema.Update(1, 10));
        Assert.Contains("disposed", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("module.to", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => ema.UseEmaWeights());
    }

    /// <summary>A module that can register a parameter after construction.</summary>
    private sealed class Growing : nn.Module<Tensor, Tensor>
    {
        public Growing()
            : base(nameof(Growing))
        {
            register_parameter("weight", new Parameter(ones(3)));
        }

        public void Grow() => register_parameter("extra", new Parameter(ones(2)));

        public override Tensor forward(Tensor input) => input;
    }

    private sealed class WithComplex : nn.Module<Tensor, Tensor>
    {
        public WithComplex()
            : base(nameof(WithComplex))
        {
            register_parameter("weight", new Parameter(ones(3)));
            register_parameter("z", new Parameter(zeros(2, dtype: ScalarType.ComplexFloat32)));
        }

        public override Tensor forward(Tensor input) => input;
    }
}
