using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Ema.Cli;

/// <summary><c>ema convert IN OUT</c>: a checkpoint's weights rewritten in Ema's layout (<c>net</c>, <c>ema_net</c>), format by extension.</summary>
internal sealed class ConvertCommand(IAnsiConsole console) : Command<ConvertCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<IN>")]
        [Description("The checkpoint, of any layout Ema knows.")]
        public string Input { get; init; } = string.Empty;

        [CommandArgument(1, "<OUT>")]
        [Description("The checkpoint to write: .safetensors, or .pth/.pt (SuperGradients' keys). Replaced atomically.")]
        public string Output { get; init; } = string.Empty;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        bool pth = WeightsFile.CheckOutput(settings.Output, [settings.Input]);
        using var scope = NewDisposeScope();
        using CheckpointContent content = CheckpointContent.Open(settings.Input);
        CheckpointLayout layout = CheckpointLayouts.Recognize(content);
        if (layout.Ema is null && layout.Raw is null)
        {
            throw new CheckpointException(settings.Input, layout.EmaAbsent ?? "the checkpoint holds no weights.");
        }

        WeightsFile.RequireFormatHolds(settings.Input, settings.Output, pth, layout.Raw);
        WeightsFile.RequireFormatHolds(settings.Input, settings.Output, pth, layout.Ema);
        List<KeyValuePair<string, Tensor>> net = layout.Raw is null ? [] : WeightsFile.Read(content, layout.Raw);
        List<KeyValuePair<string, Tensor>> emaNet = layout.Ema is null ? [] : WeightsFile.Read(content, layout.Ema);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["source_layout"] = layout.Name };
        try
        {
            WeightsFile.WriteAtomically(settings.Output, stream =>
            {
                if (pth)
                {
                    var entries = new List<KeyValuePair<string, object>>();
                    if (net.Count > 0)
                    {
                        entries.Add(new(CheckpointKeys.Net, net));
                    }

                    if (emaNet.Count > 0)
                    {
                        entries.Add(new(CheckpointKeys.EmaNet, emaNet));
                    }

                    entries.Add(new("ema_metadata", metadata));
                    PthWriter.Write(stream, entries);
                }
                else
                {
                    var tensors = net.Select(p => new KeyValuePair<string, Tensor>(CheckpointKeys.NetPrefix + p.Key, p.Value))
                        .Concat(emaNet.Select(p => new KeyValuePair<string, Tensor>(CheckpointKeys.EmaNetPrefix + p.Key, p.Value))).ToList();
                    SafetensorsWriter.Write(stream, tensors, metadata);
                }
            });
        }
        finally
        {
            WeightsFile.Dispose(net.Concat(emaNet));
        }

        console.MarkupLineInterpolated(
            $"wrote {settings.Output}: net {(net.Count > 0 ? $"{net.Count} tensors from '{layout.Raw!.Key}'" : "absent")}, ema_net {(emaNet.Count > 0 ? $"{emaNet.Count} tensors from '{layout.Ema!.Key}'" : "absent")} ({layout.Name})");
        return 0;
    }
}
