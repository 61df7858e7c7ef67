namespace Ema;

/// <summary>
/// The globals a <c>.pth</c> checkpoint may name, as <c>torch.load(weights_only=True)</c> has them: the tensor
/// globals and the inert data types real checkpoints carry (see docs/checkpoints.md, "The .pth reader"), and the
/// classes added here, as <c>torch.serialization.add_safe_globals</c> adds them. A file that names any other global
/// is refused wherever the global sits, with a message naming the global and the entry.
/// </summary>
/// <remarks>
/// Nothing named by a checkpoint is ever imported, constructed or called: an instance of an added class is read as
/// data (its constructor arguments and state), which the loaders never look at. Adding a class only stops a file
/// from being refused for holding one, for example a training script's own config class in a <c>args</c> entry.
/// The set is process-wide and thread-safe.
/// </remarks>
public static class PthSafeGlobals
{
    /// <summary>Modules PyTorch refuses to allow-list whatever the caller asks (torch.load's <c>_blocklisted_modules</c>).</summary>
    private static readonly string[] s_blockedModules = ["sys", "os", "posix", "nt", "builtins", "__builtin__", "subprocess"];

    private static readonly object s_lock = new();
    private static HashSet<string> s_added = new(StringComparer.Ordinal);

    /// <summary>The globals read without <see cref="Add"/>: the tensor globals and inert data types, by full name (<c>module.Name</c>).</summary>
    public static IReadOnlyCollection<string> BuiltIn => PickleAllowList.BuiltInNames;

    /// <summary>The globals added with <see cref="Add"/>, by full name (<c>module.Name</c>).</summary>
    public static IReadOnlyCollection<string> Added
    {
        get
        {
            lock (s_lock)
            {
                return s_added.Order(StringComparer.Ordinal).ToArray();
            }
        }
    }

    /// <summary>
    /// Lets checkpoints hold instances of a class (read as inert data, never constructed), as
    /// <c>torch.serialization.add_safe_globals([module.Name])</c> does for <c>torch.load(weights_only=True)</c>.
    /// </summary>
    /// <param name="module">The class's module as the pickle names it, for example <c>"my_project.config"</c>.</param>
    /// <param name="name">The class's name, for example <c>"TrainConfig"</c>.</param>
    /// <exception cref="ArgumentException">A name is empty or holds a line break, or the module is one PyTorch never allows (<c>os</c>, <c>sys</c>, <c>posix</c>, <c>nt</c>, <c>subprocess</c>, <c>builtins</c>).</exception>
    public static void Add(string module, string name)
    {
        string full = Validate(module, name);
        lock (s_lock)
        {
            // Copy on write: a reader in another thread keeps the set it started with.
            s_added = new HashSet<string>(s_added, StringComparer.Ordinal) { full };
        }
    }

    /// <summary>Undoes <see cref="Add"/>.</summary>
    /// <param name="module">The class's module.</param>
    /// <param name="name">The class's name.</param>
    /// <returns>Whether the class had been added.</returns>
    public static bool Remove(string module, string name)
    {
        string full = Validate(module, name);
        lock (s_lock)
        {
            if (!s_added.Contains(full))
            {
                return false;
            }

            var copy = new HashSet<string>(s_added, StringComparer.Ordinal);
            copy.Remove(full);
            s_added = copy;
            return true;
        }
    }

    /// <summary>Whether <paramref name="fullName"/> was added (read by the pickle reader).</summary>
    internal static bool IsAdded(string fullName) => Volatile.Read(ref s_added).Contains(fullName);

    private static string Validate(string module, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(module);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (module.Contains('\n') || name.Contains('\n'))
        {
            throw new ArgumentException($"'{module}.{name}': a global's module and name hold no line break.", nameof(name));
        }

        string root = module.Split('.')[0];
        if (s_blockedModules.Contains(root, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"'{module}.{name}': globals of the module '{root}' cannot be allowed (PyTorch's weights-only loader refuses them too; builtins' inert types are on the built-in list).", nameof(module));
        }

        return module + "." + name;
    }
}
