using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Ema;

/// <summary>
/// One post-hoc snapshot file: a safetensors file of one power EMA's weights whose <c>__metadata__</c> holds the
/// profile's <c>sigma_rel</c>, the <c>step</c>, the model's signature (names, shapes, integer dtypes), so that
/// snapshots of another model are recognised before any tensor is read, and the <c>run_id</c> of the
/// <see cref="PostHocEma"/> run that wrote it (null in files written before run ids existed), so that two runs
/// in one directory are never mixed.
/// </summary>
internal sealed record PostHocSnapshot(string Path, double SigmaRel, long Step, string ModelSignature, string? RunId)
{
    public const string FormatKey = "format";
    public const string FormatValue = "ema-post-hoc/1";
    public const string SigmaRelKey = "sigma_rel";
    public const string StepKey = "step";
    public const string SignatureKey = "model_signature";
    public const string RunIdKey = "run_id";

    /// <summary>The file name of a snapshot: sortable by profile, then step.</summary>
    public static string FileName(double sigmaRel, long step) =>
        string.Create(CultureInfo.InvariantCulture, $"posthoc-sigma_rel-{sigmaRel:R}-step-{step:D12}.safetensors");

    /// <summary>The metadata a snapshot carries.</summary>
    public static Dictionary<string, string> Metadata(double sigmaRel, long step, string signature, string runId) => new(StringComparer.Ordinal)
    {
        [RunIdKey] = runId,
        [FormatKey] = FormatValue,
        [SigmaRelKey] = sigmaRel.ToString("R", CultureInfo.InvariantCulture),
        [StepKey] = step.ToString(CultureInfo.InvariantCulture),
        [SignatureKey] = signature,
    };

    /// <summary>
    /// The snapshots in <paramref name="directory"/>: every <c>*.safetensors</c> file whose metadata says it is one
    /// (other files are left alone), sorted by step, then sigma_rel.
    /// </summary>
    /// <exception cref="ArgumentException">The directory does not exist, or holds no snapshot.</exception>
    public static List<PostHocSnapshot> List(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new ArgumentException($"The post-hoc EMA snapshot directory '{directory}' does not exist.", "snapshotDirectory");
        }

        List<PostHocSnapshot> snapshots = ListExisting(directory);
        if (snapshots.Count == 0)
        {
            throw new ArgumentException(
                $"The directory '{directory}' holds no post-hoc EMA snapshot (safetensors files written by PostHocEma.Update, with \"{FormatKey}\": \"{FormatValue}\" in __metadata__).",
                "snapshotDirectory");
        }

        return snapshots;
    }

    /// <summary>The snapshots in <paramref name="directory"/>, sorted by step, then sigma_rel; none when it is missing or holds none.</summary>
    public static List<PostHocSnapshot> ListExisting(string directory)
    {
        var snapshots = new List<PostHocSnapshot>();
        if (!Directory.Exists(directory))
        {
            return snapshots;
        }

        foreach (string path in Directory.GetFiles(directory, "*.safetensors").Order(StringComparer.Ordinal))
        {
            IReadOnlyDictionary<string, string> metadata = SafetensorsReader.ReadEach(path, null);
            if (metadata.GetValueOrDefault(FormatKey) != FormatValue)
            {
                continue;
            }

            snapshots.Add(new PostHocSnapshot(
                path,
                // What PostHocEma writes, and nothing else: a damaged value is the file's fault, not the caller's argument.
                ParseMetadata(path, metadata, SigmaRelKey, s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture), PowerProfile.InRange, "a sigma_rel in (0, 1/sqrt(12))"),
                ParseMetadata(path, metadata, StepKey, s => long.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture), step => step >= 1, "a step >= 1"),
                metadata.GetValueOrDefault(SignatureKey) ?? throw new CheckpointException(path, $"the post-hoc snapshot has no '{SignatureKey}' in its __metadata__."),
                metadata.GetValueOrDefault(RunIdKey)));
        }

        return snapshots.OrderBy(s => s.Step).ThenBy(s => s.SigmaRel).ToList();
    }

    /// <summary>
    /// A short hash of the model's state-dict layout: each name with its shape and, for non-floating tensors, its
    /// dtype (floating tensors may be stored in another dtype).
    /// </summary>
    public static string Signature(nn.Module model)
    {
        var text = new StringBuilder();
        foreach ((string name, Tensor tensor) in model.state_dict())
        {
            string kind = tensor.is_floating_point() ? "floating" : tensor.dtype.ToString();
            text.Append(name).Append('\t').Append(kind).Append('\t').AppendJoin(',', tensor.shape).Append('\n');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16].ToLowerInvariant();
    }

    /// <summary>How a run is named in messages: its id, or a note for files written before run ids existed.</summary>
    public static string Describe(string? runId) => runId is null ? "(no run id: written by an earlier Ema)" : runId;

    /// <summary>Each run in <paramref name="snapshots"/> with its snapshot steps, for messages.</summary>
    public static string DescribeRuns(IEnumerable<PostHocSnapshot> snapshots) => string.Join("; ", snapshots
        .GroupBy(s => s.RunId)
        .Select(run => $"run {Describe(run.Key)}: {run.Count()} snapshots, steps {run.Min(s => s.Step)} to {run.Max(s => s.Step)}"));

    /// <summary>Checks a list of sigma_rel values for <see cref="PostHocEmaOptions.SigmaRels"/>.</summary>
    public static IReadOnlyList<double> ValidateSigmaRels(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values, nameof(PostHocEmaOptions.SigmaRels));
        double[] copy = values.ToArray();
        string listed = string.Join(", ", copy.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        if (copy.Length < 2 || copy.Distinct().Count() != copy.Length)
        {
            throw new ArgumentException(
                $"PostHocEmaOptions.SigmaRels = [{listed}] must hold at least two different values: one profile cannot be stretched to another (EDM2 keeps 0.05 and 0.10).",
                nameof(PostHocEmaOptions.SigmaRels));
        }

        foreach (double value in copy)
        {
            _ = PowerProfile.GammaOf(value);
        }

        return copy;
    }

    private static T ParseMetadata<T>(string path, IReadOnlyDictionary<string, string> metadata, string key, Func<string, T> parse, Func<T, bool> valid, string allowed)
    {
        if (metadata.TryGetValue(key, out string? text))
        {
            try
            {
                T value = parse(text);
                if (valid(value))
                {
                    return value;
                }
            }
            catch (FormatException)
            {
            }
            catch (OverflowException)
            {
            }
        }

        throw new CheckpointException(path, $"the post-hoc snapshot's __metadata__ has no valid '{key}' (found '{text}'; PostHocEma writes {allowed}): the file is damaged or was edited.");
    }
}
