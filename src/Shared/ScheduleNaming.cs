// Shared by the generator and the analyzers (linked into both), so that both derive the same record names
// and config keys from a schedule. netstandard2.0, no dependencies.
using System.Text;

namespace Ema.Shared;

internal static class ScheduleNaming
{
    /// <summary>"warm-cosine" -> "WarmCosine", "exp" -> "Exp", "my_schedule" -> "MySchedule".</summary>
    public static string ToPascalCase(string name)
    {
        var builder = new StringBuilder(name.Length);
        bool upperNext = true;
        foreach (char c in name)
        {
            if (c == '-' || c == '_' || c == '.' || c == ' ')
            {
                upperNext = true;
                continue;
            }

            builder.Append(upperNext ? char.ToUpperInvariant(c) : c);
            upperNext = false;
        }

        return builder.ToString();
    }

    /// <summary>The record name for a schedule name: "linear" -> "LinearEmaParams".</summary>
    public static string ToRecordName(string name) => ToPascalCase(name) + "EmaParams";

    /// <summary>SuperGradients' config keys: "warmupSteps" -> "warmup_steps", "beta" -> "beta", "maxLR" -> "max_lr".</summary>
    public static string ToSnakeCase(string identifier)
    {
        var builder = new StringBuilder(identifier.Length + 4);
        for (int i = 0; i < identifier.Length; i++)
        {
            char c = identifier[i];
            if (char.IsUpper(c))
            {
                bool previousIsLowerOrDigit = i > 0 && (char.IsLower(identifier[i - 1]) || char.IsDigit(identifier[i - 1]));
                bool acronymEnds = i > 0 && char.IsUpper(identifier[i - 1]) && i + 1 < identifier.Length && char.IsLower(identifier[i + 1]);
                if ((previousIsLowerOrDigit || acronymEnds) && builder.Length > 0 && builder[builder.Length - 1] != '_')
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString().TrimStart('_');
    }

    /// <summary>
    /// A schedule name is a letter followed by letters, digits, '-' or '_', so that it is a config value and
    /// its PascalCase form is a C# identifier.
    /// </summary>
    public static bool IsValidName(string? name)
    {
        if (name == null || name.Length == 0 || !IsAsciiLetter(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(IsAsciiLetter(c) || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The candidate closest to <paramref name="value"/> by edit distance, or null when none is close.</summary>
    public static string? Closest(string value, System.Collections.Generic.IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int distance = EditDistance(value.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance || (distance == bestDistance && best != null && string.CompareOrdinal(candidate, best) < 0))
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        // A suggestion is only useful when it is closer than a wholesale rewrite.
        return best != null && bestDistance <= System.Math.Max(2, best.Length / 2) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        int[] previous = new int[b.Length + 1];
        int[] current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = System.Math.Min(System.Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            int[] swap = previous;
            previous = current;
            current = swap;
        }

        return previous[b.Length];
    }

    private static bool IsAsciiLetter(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
