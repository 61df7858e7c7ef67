using System.Linq;

namespace Ema.Generators;

/// <summary>The generated registry's namespace part for an assembly name: unique per assembly, stable everywhere.</summary>
internal static class RegistryNaming
{
    /// <summary>
    /// "Ema.Runtime" -> "Ema_Runtime"; "My_Lib" -> "My_Lib__3c4a1b2f", "My-Lib" -> "My_Lib__9e0d7a55". Names of letters,
    /// digits and dots map one-to-one ('.' becomes '_', and they contain no '_'), so they keep the plain form:
    /// Ema.Runtime calls its registry by that name. Any other name could collide with one of them or with
    /// another (My.Lib, My_Lib and My-Lib; CS0433 when both are referenced), so it gets "__" and a hash of the
    /// exact name; plain forms never contain "__".
    /// </summary>
    public static string Identifier(string name)
    {
        bool plain = name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c == '.');
        var chars = name.Select(c => char.IsLetterOrDigit(c) || c == '_' ? c : '_').ToArray();
        string result = new(chars);
        result = result.Length == 0 || char.IsDigit(result[0]) ? "_" + result : result;
        return plain ? result : result + "__" + Fnv1a(name);
    }

    /// <summary>32-bit FNV-1a of the UTF-8 bytes as 8 lowercase hex digits: stable across runs, machines and runtimes (unlike string.GetHashCode).</summary>
    internal static string Fnv1a(string text)
    {
        uint hash = 2166136261;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash ^ b) * 16777619);
        }

        return hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
    }
}
