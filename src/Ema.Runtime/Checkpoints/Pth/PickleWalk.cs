using System.Globalization;

namespace Ema;

/// <summary>Finds where in a read pickle a forbidden global sits, as a dotted entry path (<c>metrics.Accuracy</c>, <c>args[2]</c>).</summary>
internal static class PickleWalk
{
    private readonly record struct Frame(object? Value, int Parent, string Label);

    /// <summary>The first forbidden placeholder in insertion order, with its entry path; null when none is reachable.</summary>
    public static (PickleForbidden Found, string Entry)? FindForbidden(object? root)
    {
        // Depth first without recursion; the frames list keeps parents, so a path is built only for the one found.
        var frames = new List<Frame>();
        var pending = new Stack<int>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        frames.Add(new Frame(root, -1, string.Empty));
        pending.Push(0);
        while (pending.Count > 0)
        {
            int index = pending.Pop();
            object? value = frames[index].Value;
            if (value is PickleForbidden forbidden)
            {
                return (forbidden, PathOf(frames, index));
            }

            if (value is null || !seen.Add(value))
            {
                continue;
            }

            List<(object? Child, string Label)> children = ChildrenOf(value);
            for (int i = children.Count - 1; i >= 0; i--)
            {
                frames.Add(new Frame(children[i].Child, index, children[i].Label));
                pending.Push(frames.Count - 1);
            }
        }

        return null;
    }

    private static List<(object? Child, string Label)> ChildrenOf(object value)
    {
        var children = new List<(object?, string)>();
        switch (value)
        {
            case PickleDict dict:
                AddDict(children, dict);
                break;
            case List<object?> list:
                AddIndexed(children, list);
                break;
            case PickleTuple tuple:
                AddIndexed(children, tuple.Items);
                break;
            case PickleSet set:
                AddIndexed(children, set.Items);
                break;
            case PickleObject inert:
                AddIndexed(children, inert.Arguments);
                children.Add((inert.State, "__state__"));
                AddDict(children, inert.Dict);
                AddIndexed(children, inert.List);
                break;
        }

        return children;
    }

    private static void AddDict(List<(object?, string)> children, PickleDict dict)
    {
        foreach ((object? key, object? value) in dict.Items)
        {
            string label = key switch
            {
                string s => s,
                long or double or bool => string.Create(CultureInfo.InvariantCulture, $"{key}"),
                _ => PickleReader.Describe(key),
            };
            children.Add((key, $"(key {label})"));
            children.Add((value, label));
        }
    }

    private static void AddIndexed(List<(object?, string)> children, IReadOnlyList<object?> items)
    {
        for (int i = 0; i < items.Count; i++)
        {
            children.Add((items[i], string.Create(CultureInfo.InvariantCulture, $"[{i}]")));
        }
    }

    private static string PathOf(List<Frame> frames, int index)
    {
        var labels = new List<string>();
        for (int i = index; frames[i].Parent >= 0; i = frames[i].Parent)
        {
            labels.Add(frames[i].Label);
        }

        labels.Reverse();
        var path = new System.Text.StringBuilder();
        foreach (string label in labels)
        {
            if (path.Length > 0 && !label.StartsWith('['))
            {
                path.Append('.');
            }

            path.Append(label);
        }

        return path.ToString();
    }
}
