using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Ema.Cli;

/// <summary><c>ema posthoc DIR --sigma-rel S [--at-step N] -o OUT</c>: EDM2's post-hoc synthesis from the snapshots alone.</summary>
internal sealed class PostHocCommand(IAnsiConsole console) : Command<PostHocCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<DIR>")]
        [Description("The snapshot directory PostHocEma wrote.")]
        public string Directory { get; init; } = string.Empty;

        [CommandOption("--sigma-rel <S>")]
        [Description("The EMA length wanted, in (0, 1/sqrt(12)).")]
        [TypeConverter(typeof(SigmaRelConverter))]
        public double? SigmaRel { get; init; }

        [CommandOption("--at-step <N>")]
        [Description("The step it is wanted at; default: the last snapshot's.")]
        [TypeConverter(typeof(StepConverter))]
        public long? AtStep { get; init; }

        [CommandOption("-o|--output <OUT>")]
        [Description("The state dict to write: .safetensors or .pth. Replaced atomically.")]
        public string? Output { get; init; }

        public override ValidationResult Validate() =>
            SigmaRel is null ? ValidationResult.Error("--sigma-rel S is required: the EMA length wanted, in (0, 1/sqrt(12)), e.g. 0.05.")
            : string.IsNullOrWhiteSpace(Output) ? ValidationResult.Error("-o OUT is required: the file to write (.safetensors or .pth).")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string output = settings.Output!;
        _ = WeightsFile.CheckOutput(output, PostHocSnapshot.ListExisting(settings.Directory).Select(s => s.Path));
        Dictionary<string, Tensor> tensors = [];
        console.Status().Start("synthesizing from the snapshots, one snapshot and one tensor at a time", _ =>
            tensors = PostHocEma.SynthesizeTensors(settings.Directory, settings.SigmaRel!.Value, settings.AtStep));
        try
        {
            WeightsFile.WriteStateDict(output, [.. tensors], new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["sigma_rel"] = settings.SigmaRel!.Value.ToString("R", CultureInfo.InvariantCulture),
                ["synthesized_at_step"] = settings.AtStep?.ToString(CultureInfo.InvariantCulture) ?? "last",
            });
        }
        finally
        {
            foreach (Tensor tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }

        console.MarkupLineInterpolated($"wrote the power EMA of sigma_rel {settings.SigmaRel!.Value.ToString(CultureInfo.InvariantCulture)} ({tensors.Count} tensors) to {output}");
        return 0;
    }
}
