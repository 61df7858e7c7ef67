using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Ema.Cli;

/// <summary><c>ema inspect FILE [--json]</c>: what a checkpoint holds, from its header alone (no tensor data is read).</summary>
internal sealed class InspectCommand(IAnsiConsole console) : Command<InspectCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("The checkpoint: safetensors or a torch.save file, of any layout Ema knows.")]
        public string File { get; init; } = string.Empty;

        [CommandOption("--json")]
        [Description("Write JSON instead of tables.")]
        public bool Json { get; init; }
    }

    private sealed record WeightsSummary(string Which, WeightsEntry? Entry, string? Absent, List<StoredTensor> Tensors, List<string> Names);

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using CheckpointContent content = CheckpointContent.Open(settings.File);
        CheckpointLayout layout = CheckpointLayouts.Recognize(content);
        WeightsSummary[] sets = [Summarize("ema", layout.Ema, layout.EmaAbsent), Summarize("raw", layout.Raw, layout.RawAbsent)];
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(Json(settings.File, content, layout, sets));
            return 0;
        }

        var summary = new Table().AddColumn("").AddColumn("");
        summary.ShowHeaders = false;
        summary.AddRow("file", Markup.Escape(settings.File));
        summary.AddRow("format", WeightsFile.Format(content));
        summary.AddRow("layout", layout.Name);
        foreach (WeightsSummary set in sets)
        {
            summary.AddRow(set.Which, Markup.Escape(set.Entry is null
                ? $"absent: {set.Absent}"
                : $"'{set.Entry.Key}': {set.Tensors.Count} tensors, {Bytes(set.Tensors.Sum(t => t.Length))}, {Dtypes(set.Tensors)}"));
        }

        console.Write(summary);
        if (layout.Facts.Count > 0)
        {
            var facts = new Table().Title("metadata").AddColumn("key").AddColumn("value");
            foreach ((string key, string value) in layout.Facts.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                facts.AddRow(Markup.Escape(key), Markup.Escape(value));
            }

            console.Write(facts);
        }

        foreach (WeightsSummary set in sets.Where(s => s.Entry is not null))
        {
            var tensors = new Table().Title($"{set.Which} ('{Markup.Escape(set.Entry!.Key)}')").AddColumn("name").AddColumn("dtype").AddColumn("shape").AddColumn(new TableColumn("bytes").RightAligned());
            for (int i = 0; i < set.Tensors.Count; i++)
            {
                StoredTensor t = set.Tensors[i];
                tensors.AddRow(Markup.Escape(set.Names[i]), t.Type.ToString(), Markup.Escape($"[{string.Join(", ", t.Shape)}]"), t.Length.ToString("N0", CultureInfo.InvariantCulture));
            }

            console.Write(tensors);
        }

        return 0;
    }

    private static WeightsSummary Summarize(string which, WeightsEntry? entry, string? absent)
    {
        Dictionary<string, StoredTensor> tensors = entry?.Read() ?? [];
        return new WeightsSummary(which, entry, absent, [.. tensors.Values], [.. tensors.Keys]);
    }

    private static string Json(string file, CheckpointContent content, CheckpointLayout layout, WeightsSummary[] sets)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("file", file);
            json.WriteString("format", WeightsFile.Format(content));
            json.WriteString("layout", layout.Name);
            foreach (WeightsSummary set in sets)
            {
                json.WriteStartObject(set.Which);
                if (set.Entry is null)
                {
                    json.WriteNull("entry");
                    json.WriteString("absent", set.Absent);
                }
                else
                {
                    json.WriteString("entry", set.Entry.Key);
                    json.WriteNumber("bytes", set.Tensors.Sum(t => t.Length));
                    json.WriteStartArray("tensors");
                    for (int i = 0; i < set.Tensors.Count; i++)
                    {
                        json.WriteStartObject();
                        json.WriteString("name", set.Names[i]);
                        json.WriteString("dtype", set.Tensors[i].Type.ToString());
                        json.WriteStartArray("shape");
                        foreach (long dim in set.Tensors[i].Shape)
                        {
                            json.WriteNumberValue(dim);
                        }

                        json.WriteEndArray();
                        json.WriteNumber("bytes", set.Tensors[i].Length);
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteStartObject("metadata");
            foreach ((string key, string value) in layout.Facts.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Dtypes(List<StoredTensor> tensors) =>
        string.Join(", ", tensors.GroupBy(t => t.Type).Select(g => $"{g.Count()} {g.Key}"));

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.##} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.##} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.##} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };
}
