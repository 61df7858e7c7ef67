namespace Ema;

/// <summary>
/// A checkpoint file cannot be read or does not fit the model. The message names the file and, where one is at
/// fault, the tensor; the model, the EMA and the optimizer are left unchanged.
/// </summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="tensorName">The tensor at fault, if any.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CheckpointException(string path, string message, string? tensorName = null, Exception? innerException = null)
        : base(Format(path, message, tensorName), innerException)
    {
        FilePath = path;
        TensorName = tensorName;
    }

    /// <summary>The checkpoint file.</summary>
    public string FilePath { get; }

    /// <summary>The tensor at fault, or null when the file as a whole is.</summary>
    public string? TensorName { get; }

    private static string Format(string path, string message, string? tensorName) =>
        tensorName is null
            ? $"Checkpoint '{path}': {message}"
            : $"Checkpoint '{path}', tensor '{tensorName}': {message}";
}
