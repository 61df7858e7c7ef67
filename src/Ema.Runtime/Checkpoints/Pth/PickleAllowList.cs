using static TorchSharp.torch;

namespace Ema;

/// <summary>What an allowed global is, to the reader: how a call or an instantiation of it is read as data.</summary>
internal enum PickleGlobalKind
{
    /// <summary>A value only (<c>builtins.float</c> as a defaultdict's factory, a torch dtype, <c>torch.Tensor</c>); calling it is refused.</summary>
    Value,

    /// <summary><c>collections.OrderedDict</c>, <c>defaultdict</c>, <c>Counter</c>: a dict.</summary>
    Dict,

    /// <summary><c>builtins.set</c> / <c>frozenset</c> (protocol 2 pickles sets as a call).</summary>
    Set,

    /// <inheritdoc cref="Set"/>
    FrozenSet,

    /// <summary><c>builtins.complex(real, imag)</c>.</summary>
    Complex,

    /// <summary><c>builtins.bytearray</c> and <c>_codecs.encode(text, "latin1")</c> (protocol 2 pickles bytes so): bytes.</summary>
    Bytes,

    /// <summary><c>torch.Size(tuple)</c>: the tuple.</summary>
    Size,

    /// <summary><c>torch.device("cpu")</c>: the string.</summary>
    Device,

    /// <summary>A <c>torch.*Storage</c> type, named by persistent ids.</summary>
    Storage,

    /// <summary><c>torch._utils._rebuild_tensor_v2</c>.</summary>
    RebuildTensor,

    /// <summary><c>torch._utils._rebuild_parameter</c> and <c>_rebuild_parameter_with_state</c>: the tensor.</summary>
    RebuildParameter,

    /// <summary><c>torch._tensor._rebuild_from_type_v2(function, type, arguments, state)</c>: the function's result.</summary>
    RebuildFromType,

    /// <summary><c>numpy.dtype(code, align, copy)</c>.</summary>
    NumpyDtype,

    /// <summary><c>numpy.core.multiarray.scalar(dtype, bytes)</c>: the number.</summary>
    NumpyScalar,

    /// <summary>A class whose instances are kept as opaque data (<c>argparse.Namespace</c>, <c>TorchVersion</c>, classes added by the caller).</summary>
    Inert,
}

/// <summary>The built-in allow-list of the .pth reader (documented in docs/checkpoints.md, "The .pth reader").</summary>
internal static class PickleAllowList
{
    /// <summary>The storage types and their dtypes (the persistent ids of <c>torch.save</c> name them): the storage column of <see cref="TensorDtypes"/>.</summary>
    public static readonly IReadOnlyDictionary<string, (ScalarType Type, int Size)> StorageTypes =
        TensorDtypes.All.ToDictionary(e => e.StorageName, e => (e.Type, e.ElementSize), StringComparer.Ordinal);

    private static readonly Dictionary<string, PickleGlobalKind> s_kinds = Build();

    public static IReadOnlyCollection<string> BuiltInNames { get; } = s_kinds.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The kind of a global (its module already mapped from Python 2 names), or null when it is not allowed.</summary>
    public static PickleGlobalKind? KindOf(string fullName) =>
        s_kinds.TryGetValue(fullName, out PickleGlobalKind kind) ? kind
        : PthSafeGlobals.IsAdded(fullName) ? PickleGlobalKind.Inert
        : null;

    /// <summary>
    /// Protocol 2 pickles name Python 2's modules and types (<c>__builtin__.long</c> for <c>int</c>); Python's own
    /// unpickler, and PyTorch's, map them back so (<c>_compat_pickle</c>).
    /// </summary>
    public static (string Module, string Name) MapPython2(string module, string name) => (module, name) switch
    {
        ("__builtin__", "long") => ("builtins", "int"),
        ("__builtin__", "unicode") => ("builtins", "str"),
        ("__builtin__", "basestring") => ("builtins", "str"),
        ("__builtin__", _) => ("builtins", name),
        ("copy_reg", _) => ("copyreg", name),
        _ => (module, name),
    };

    private static Dictionary<string, PickleGlobalKind> Build()
    {
        var kinds = new Dictionary<string, PickleGlobalKind>(StringComparer.Ordinal)
        {
            ["collections.OrderedDict"] = PickleGlobalKind.Dict,
            ["collections.defaultdict"] = PickleGlobalKind.Dict,
            ["collections.Counter"] = PickleGlobalKind.Dict,
            ["builtins.set"] = PickleGlobalKind.Set,
            ["builtins.frozenset"] = PickleGlobalKind.FrozenSet,
            ["builtins.complex"] = PickleGlobalKind.Complex,
            ["builtins.bytearray"] = PickleGlobalKind.Bytes,
            ["builtins.bytes"] = PickleGlobalKind.Bytes, // protocol 2 pickles b"" as bytes()
            ["_codecs.encode"] = PickleGlobalKind.Bytes,
            ["torch.Size"] = PickleGlobalKind.Size,
            ["torch.device"] = PickleGlobalKind.Device,
            ["torch._utils._rebuild_tensor_v2"] = PickleGlobalKind.RebuildTensor,
            ["torch._utils._rebuild_parameter"] = PickleGlobalKind.RebuildParameter,
            ["torch._utils._rebuild_parameter_with_state"] = PickleGlobalKind.RebuildParameter,
            ["torch._tensor._rebuild_from_type_v2"] = PickleGlobalKind.RebuildFromType,
            ["torch.Tensor"] = PickleGlobalKind.Value,
            ["torch.nn.parameter.Parameter"] = PickleGlobalKind.Value,
            ["argparse.Namespace"] = PickleGlobalKind.Inert,
            ["torch.torch_version.TorchVersion"] = PickleGlobalKind.Inert,
            ["numpy.dtype"] = PickleGlobalKind.NumpyDtype,
            ["numpy.core.multiarray.scalar"] = PickleGlobalKind.NumpyScalar,
            ["numpy._core.multiarray.scalar"] = PickleGlobalKind.NumpyScalar,
        };

        // The builtin types, as values: a defaultdict's factory (defaultdict(float), defaultdict(list), ...).
        foreach (string type in new[] { "int", "float", "bool", "str", "list", "dict", "tuple", "object" })
        {
            kinds["builtins." + type] = PickleGlobalKind.Value;
        }

        foreach (string dtype in new[] { "float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex64", "complex128" })
        {
            kinds["torch." + dtype] = PickleGlobalKind.Value;
        }

        foreach (string storage in StorageTypes.Keys)
        {
            kinds["torch." + storage] = PickleGlobalKind.Storage;
        }

        return kinds;
    }
}
