// netstandard2.0 lacks this type; records and init accessors in the generator's own model need it.
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit
{
}
