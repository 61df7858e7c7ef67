using Spectre.Console;
using Spectre.Console.Cli;

namespace Ema.Cli;

/// <summary>The <c>ema</c> command line: its commands, and one place that turns bad input into a message and an exit code.</summary>
public static class EmaApp
{
    /// <summary>The exit code for a file, argument or checkpoint that cannot be used.</summary>
    public const int Failure = 1;

    /// <summary>Runs the tool on the process's console.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>0 on success, <see cref="Failure"/> on bad input.</returns>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the tool in-process, writing to the given writers (tests; an embedding host).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where tables, JSON and progress go.</param>
    /// <param name="error">Where error messages go.</param>
    /// <returns>0 on success, <see cref="Failure"/> on bad input.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = ReferenceEquals(output, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ReferenceEquals(output, Console.Out) ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("ema");
            config.Settings.Console = console;
            config.PropagateExceptions();
            // A misspelt option (--rwa for --raw) or a stray argument must fail, not be ignored: ignored, it
            // silently writes the other set of weights.
            config.Settings.StrictParsing = true;
            config.AddCommand<InspectCommand>("inspect")
                .WithDescription("Show what a checkpoint holds: format, layout, EMA and raw weights, tensors, dtypes, bytes, metadata.")
                .WithExample("inspect", "model_best.pth.tar", "--json");
            config.AddCommand<ExtractCommand>("extract")
                .WithDescription("Write the EMA (or with --raw the raw weights) as a plain state dict: .safetensors or .pth by extension.")
                .WithExample("extract", "model_best.pth.tar", "-o", "ema.safetensors");
            config.AddCommand<ConvertCommand>("convert")
                .WithDescription("Rewrite a checkpoint's weights in Ema's layout (net, ema_net) in the other format (.safetensors or .pth by extension).")
                .WithExample("convert", "ckpt_best.pth", "ckpt_best.safetensors");
            config.AddCommand<PostHocCommand>("posthoc")
                .WithDescription("Synthesize the power EMA of another sigma_rel from PostHocEma's snapshots, without model code.")
                .WithExample("posthoc", "snapshots", "--sigma-rel", "0.08", "-o", "ema_0.08.safetensors");
        });

        try
        {
            return app.Run(args);
        }
        catch (Exception e) when (e is CheckpointException or ArgumentException or IOException or UnauthorizedAccessException or CommandAppException or InvalidOperationException)
        {
            // A value an option's converter refused: its message names the option; Spectre's wrapper names only the type.
            string message = e is CommandAppException { InnerException: FormatException refused } ? refused.Message : e.Message;
            error.WriteLine($"ema: {message}");
            return Failure;
        }
    }
}
