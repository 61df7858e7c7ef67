namespace Ema.Samples.Training;

/// <summary>The sample's post-hoc snapshot folders belong to one run each.</summary>
internal static class FreshSnapshots
{
    /// <summary>
    /// Deletes the post-hoc snapshots an earlier run of the sample left in <paramref name="directory"/> (its own output
    /// folder): PostHocEma refuses to start a new run beside them, since Synthesize would mix the two runs.
    /// </summary>
    public static string In(string directory)
    {
        if (Directory.Exists(directory))
        {
            foreach (string old in Directory.GetFiles(directory, "posthoc-*.safetensors"))
            {
                File.Delete(old);
            }
        }

        return directory;
    }
}
