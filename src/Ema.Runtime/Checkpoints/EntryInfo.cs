namespace Ema;

/// <summary>What kind of value a checkpoint's top-level entry holds, as far as a weights-only reader can tell.</summary>
internal enum EntryKind
{
    /// <summary>A dict of tensors by name.</summary>
    StateDict,

    /// <summary>One tensor.</summary>
    Tensor,

    /// <summary>Python's None.</summary>
    None,

    /// <summary>A string, integer, float or bool.</summary>
    Scalar,

    /// <summary>A pickled object of a class a weights-only checkpoint never holds (a whole <c>nn.Module</c>, an <c>argparse.Namespace</c>, ...).</summary>
    Object,

    /// <summary>Anything else: a dict with other values, a list, a tuple.</summary>
    Other,
}

/// <summary>A top-level entry: its kind, and a short description for messages (<c>a pickled 'ultralytics.nn.tasks.DetectionModel'</c>, <c>the integer 3</c>).</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Text">The description; for a scalar, its value as text.</param>
internal sealed record EntryInfo(EntryKind Kind, string Text)
{
    /// <summary>For a scalar, its value as invariant text (strings as they are); otherwise null.</summary>
    public string? ScalarText { get; init; }
}
