namespace Ema.Testing;

/// <summary>
/// Finds the repository from the build output. Not from [CallerFilePath]: CI builds set
/// ContinuousIntegrationBuild, whose path map turns source paths into "/_/...".
/// </summary>
internal static class RepositoryRoot
{
    public static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ema.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Ema.sln not found above " + AppContext.BaseDirectory);
    }
}
