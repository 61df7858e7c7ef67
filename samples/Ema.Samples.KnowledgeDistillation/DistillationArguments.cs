using System.Globalization;

namespace Ema.Samples.KnowledgeDistillation;

/// <summary>The sample's command line: <c>[--out DIR] [--epochs N] [--teacher-epochs N]</c>.</summary>
internal sealed record DistillationArguments
{
    public const string Usage = "usage: Ema.Samples.KnowledgeDistillation [--out DIR] [--epochs N] [--teacher-epochs N]";

    /// <summary>The checkpoint folder; null: a new folder under the temporary directory, so runs never mix.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>The student's epochs (the config's max_epochs).</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>The epochs of the plain loop that trains the teacher beforehand.</summary>
    public int TeacherEpochs { get; init; } = 30;

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> naming the argument and what is allowed.</summary>
    public static DistillationArguments Parse(IReadOnlyList<string> args)
    {
        var result = new DistillationArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string option = args[i];
            string value = i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{option} needs a value. {Usage}");
            result = option switch
            {
                "--out" => result with { OutputDirectory = Path.GetFullPath(value) },
                "--epochs" => result with { Epochs = PositiveInt(value, option) },
                "--teacher-epochs" => result with { TeacherEpochs = PositiveInt(value, option) },
                _ => throw new ArgumentException($"unknown option {option}. {Usage}"),
            };
        }

        return result;
    }

    private static int PositiveInt(string value, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed > 0
            ? parsed
            : throw new ArgumentException($"{option} {value}: expected a positive whole number.");
}
