using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Ema.Cli;

/// <summary><c>ema extract FILE -o OUT [--raw]</c>: the EMA (or the raw weights) as a plain state dict.</summary>
internal sealed class ExtractCommand(IAnsiConsole console) : Command<ExtractCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("The checkpoint, of any layout Ema knows.")]
        public string File { get; init; } = string.Empty;

        [CommandOption("-o|--output <OUT>")]
        [Description("The state dict to write: .safetensors, or .pth/.pt for torch.load. Replaced atomically.")]
        public string? Output { get; init; }

        [CommandOption("--raw")]
        [Description("The raw (trained) weights instead of the EMA.")]
        public bool Raw { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Output) ? ValidationResult.Error("-o OUT is required: the file to write (.safetensors or .pth).") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string output = settings.Output!;
        bool pth = WeightsFile.CheckOutput(output, [settings.File]); // before anything is read
        using var scope = NewDisposeScope();
        using CheckpointContent content = CheckpointContent.Open(settings.File);
        CheckpointLayout layout = CheckpointLayouts.Recognize(content);
        WeightsEntry entry = layout.Choose(settings.File, settings.Raw ? CheckpointWeights.Raw : CheckpointWeights.Ema);
        WeightsFile.RequireFormatHolds(settings.File, output, pth, entry);
        Dictionary<string, StoredTensor> stored = entry.Read();
        if (stored.Count == 0)
        {
            // An empty state dict written with exit code 0 would pass for the weights downstream.
            throw new CheckpointException(settings.File, $"'{entry.Key}' holds no tensors: there are no weights to extract.");
        }

        long total = stored.Values.Sum(t => t.Length);
        List<KeyValuePair<string, Tensor>> tensors = [];
        console.Progress().Start(progress =>
        {
            ProgressTask task = progress.AddTask($"reading '{Markup.Escape(entry.Key)}'", maxValue: Math.Max(total, 1));
            tensors = WeightsFile.Read(content, entry, bytes => task.Increment(bytes));
            task.Value = task.MaxValue;
        });
        try
        {
            WeightsFile.WriteStateDict(output, tensors, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["source_layout"] = layout.Name,
                ["source_entry"] = entry.Key,
            });
        }
        finally
        {
            WeightsFile.Dispose(tensors);
        }

        console.MarkupLineInterpolated($"wrote {tensors.Count} tensors ({InspectCommand.Bytes(total)}) of '{entry.Key}' ({layout.Name}) to {output}");
        return 0;
    }
}
