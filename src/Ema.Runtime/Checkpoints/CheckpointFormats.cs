namespace Ema;

/// <summary>
/// The one rule from a file name to a <see cref="CheckpointFormat"/> and back: the extensions each format is written
/// under. <c>Checkpoint.Save</c>, the trainer's file names (<see cref="Checkpoint.LatestFileNameOf"/>) and the
/// <c>ema</c> tool's outputs all read it. Reading tells the formats apart by content.
/// </summary>
internal static class CheckpointFormats
{
    /// <summary>The extension of safetensors files.</summary>
    public const string SafetensorsExtension = ".safetensors";

    /// <summary>The extension the trainer writes PyTorch's format under (SuperGradients' own).</summary>
    public const string PthExtension = ".pth";

    /// <summary>The other extension PyTorch's format is known by.</summary>
    public const string PtExtension = ".pt";

    /// <summary>Every extension with a format, in the order error messages list them.</summary>
    private static readonly (string Extension, CheckpointFormat Format)[] s_extensions =
    [
        (SafetensorsExtension, CheckpointFormat.Safetensors),
        (PthExtension, CheckpointFormat.Pth),
        (PtExtension, CheckpointFormat.Pth),
    ];

    /// <summary>The extension files in <paramref name="format"/> are written under.</summary>
    /// <param name="format">The format.</param>
    /// <returns><c>.safetensors</c> or <c>.pth</c>.</returns>
    public static string ExtensionOf(CheckpointFormat format) => format == CheckpointFormat.Pth ? PthExtension : SafetensorsExtension;

    /// <summary>The format <paramref name="path"/>'s extension names (any case), or null for any other extension.</summary>
    /// <param name="path">A file path.</param>
    /// <returns>The format, or null.</returns>
    public static CheckpointFormat? Of(string path)
    {
        foreach ((string extension, CheckpointFormat format) in s_extensions)
        {
            if (path.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            {
                return format;
            }
        }

        return null;
    }

    /// <summary>The format a checkpoint is written in at <paramref name="path"/>: PyTorch's for its extensions, safetensors otherwise.</summary>
    /// <param name="path">A file path.</param>
    /// <returns>The format.</returns>
    public static CheckpointFormat ForWriting(string path) => Of(path) ?? CheckpointFormat.Safetensors;

    /// <summary>The extensions with a format, for error messages: <c>.safetensors, .pth or .pt</c>.</summary>
    public static string ExtensionList { get; } =
        string.Join(", ", s_extensions[..^1].Select(e => e.Extension)) + " or " + s_extensions[^1].Extension;
}
