using System.Globalization;
using TorchSharp;

namespace Ema.Runtime.Tests.Property;

/// <summary>The rules checked after every operation, and the check that a refused operation changed nothing.</summary>
internal sealed partial class EmaHarness
{
    /// <summary>The largest ratio of an EMA's distance from its reference to the rounding bound seen so far (reported).</summary>
    public double LargestErrorToBound { get; private set; }

    private void Verify()
    {
        if (_scope is { } active)
        {
            // Inside the scope the model computes with that EMA's weights, in the model's dtype.
            ExpectModel(_model, InferenceValues(TensorValues.ReadAll(active.Owner.Ema.EmaWeights)), $"the model inside the scope of {Name(active.Owner)}");
        }
        else
        {
            ExpectModel(_model, _raw, "the model");
        }

        foreach (LiveEma live in _emas)
        {
            VerifyEma(live);
        }

        if (_twin is { } twin)
        {
            if (!twin.Binding.IsBound)
            {
                throw new PropertyFailure("twin", $"the twin of {Name(twin.Owner)} is no longer bound.");
            }

            ExpectSame(TensorValues.ReadAll(twin.Owner.Ema.EmaWeights), TensorValues.ReadAll(twin.Module.state_dict()), $"the twin bound to {Name(twin.Owner)}");
        }
    }

    private void VerifyEma(LiveEma live)
    {
        ModelEma ema = live.Ema;
        ReferenceEma reference = live.Reference;
        string name = Name(live);
        if (ema.Step != reference.Step || ema.SkippedUpdates != reference.SkippedUpdates)
        {
            throw new PropertyFailure("counters", $"{name}: Step {ema.Step}, SkippedUpdates {ema.SkippedUpdates}; expected {reference.Step}, {reference.SkippedUpdates}.");
        }

        // One warning at the 1st, 2nd, 4th, 8th, ... skip (a run that goes on after a NaN would otherwise bury its log).
        int expectedWarnings = reference.SkippedUpdates == 0 ? 0 : 1 + (int)Math.Floor(Math.Log2(reference.SkippedUpdates));
        if (reference.Options.NonFinite == NonFinitePolicy.Skip && live.Warnings.Count != expectedWarnings)
        {
            throw new PropertyFailure("counters", $"{name}: {live.Warnings.Count} warnings for {reference.SkippedUpdates} skipped updates; expected {expectedWarnings} (at the 1st, 2nd, 4th, ... skip).");
        }

        bool mayHoldNonFinite = reference.Options.NonFinite == NonFinitePolicy.Ignore;
        Dictionary<string, double[]> actual = TensorValues.ReadAll(ema.EmaWeights);
        foreach ((string tensor, double[] expected) in reference.Floating)
        {
            double[] values = actual[tensor];
            if (_excluded.Contains(tensor))
            {
                // Left out: the EMA uses the model's own tensor.
                ExpectSameValues(_raw.Floating[tensor].Select(v => (double)v).ToArray(), values, $"{name}: left-out '{tensor}'");
                continue;
            }

            double bound = reference.Bound[tensor] + 1e-300;
            for (int i = 0; i < expected.Length; i++)
            {
                if (!double.IsFinite(values[i]))
                {
                    if (!mayHoldNonFinite || double.IsFinite(expected[i]))
                    {
                        throw new PropertyFailure("non-finite", $"{name}: '{tensor}'[{i}] is {values[i]}, which its policy ({reference.Options.NonFinite}) does not let in; the reference lerp gives {expected[i]:R}.");
                    }

                    continue;
                }

                double error = Math.Abs(values[i] - expected[i]);
                if (!(error <= bound))
                {
                    throw new PropertyFailure("lerp", string.Create(CultureInfo.InvariantCulture,
                        $"{name}: '{tensor}'[{i}] is {values[i]:R}; the reference lerp gives {expected[i]:R} (off by {error:G3}, float rounding allows {bound:G3})."));
                }

                LargestErrorToBound = Math.Max(LargestErrorToBound, error / bound);
            }
        }

        foreach ((string tensor, long[] referenceValues) in reference.Integer)
        {
            long[] expected = _excluded.Contains(tensor) ? _raw.Integer[tensor] : referenceValues;
            if (!expected.Select(v => (double)v).SequenceEqual(actual[tensor]))
            {
                throw new PropertyFailure("lerp", $"{name}: integer buffer '{tensor}' is [{string.Join(", ", actual[tensor])}]; expected the model's at the last update, [{string.Join(", ", expected)}].");
            }
        }
    }

    /// <summary><paramref name="action"/> must throw one of <paramref name="refusals"/> and leave the model, every EMA and the twin exactly as they were.</summary>
    private void ExpectRefused(string what, Action action, params Type[] refusals)
    {
        Dictionary<string, double[]> before = Capture();
        try
        {
            action();
        }
        catch (Exception e) when (refusals.Any(t => t.IsInstanceOfType(e)))
        {
            if (FirstDifference(before, Capture()) is { } difference)
            {
                throw new PropertyFailure("refused", $"{what} was refused ({e.GetType().Name}: {e.Message}) but changed {difference}.");
            }

            return;
        }
        catch (Exception e) when (e is not PropertyFailure)
        {
            throw new PropertyFailure("refused", $"{what} threw {e.GetType().Name} ({e.Message}); expected a clear refusal: {string.Join(" or ", refusals.Select(t => t.Name))}.", e);
        }

        throw new PropertyFailure("refused", $"{what} must be refused ({string.Join(" or ", refusals.Select(t => t.Name))}), but it was done{(FirstDifference(before, Capture()) is { } changed ? $" and changed {changed}" : "")}.");
    }

    /// <summary>Everything a refused operation must leave alone: the model's tensors, every EMA's weights and counters, the twin.</summary>
    private Dictionary<string, double[]> Capture()
    {
        var all = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach ((string name, double[] values) in TensorValues.ReadAll(_model.state_dict()))
        {
            all["model " + name] = values;
        }

        for (int i = 0; i < _emas.Count; i++)
        {
            ModelEma ema = _emas[i].Ema;
            foreach ((string name, double[] values) in TensorValues.ReadAll(ema.EmaWeights))
            {
                all[$"ema {i} {name}"] = values;
            }

            all[$"ema {i} counters (Step, SkippedUpdates, LastDecay, IsEmaInModel)"] = [ema.Step, ema.SkippedUpdates, ema.LastDecay, ema.IsEmaInModel ? 1 : 0];
        }

        if (_twin is { } twin)
        {
            foreach ((string name, double[] values) in TensorValues.ReadAll(twin.Module.state_dict()))
            {
                all["twin " + name] = values;
            }
        }

        return all;
    }

    private static string? FirstDifference(Dictionary<string, double[]> before, Dictionary<string, double[]> after) => TensorValues.FirstDifference(before, after);

    private static void ExpectSameValues(double[] expected, double[] actual, string what)
    {
        int index = Enumerable.Range(0, expected.Length).FirstOrDefault(i => !TensorValues.Same(expected[i], actual[i]), -1);
        if (index >= 0)
        {
            throw new PropertyFailure("lerp", $"{what}[{index}] is {actual[index]:R}; expected the model's {expected[index]:R}.");
        }
    }

    private static void ExpectSame(Dictionary<string, double[]> expected, Dictionary<string, double[]> actual, string what)
    {
        if (TensorValues.FirstDifference(expected, actual) is { } difference)
        {
            throw new PropertyFailure("twin", $"{what}: {difference} (expected the EMA's weights bit for bit).");
        }
    }
}

/// <summary>A broken rule, named so that shrinking keeps to the same rule.</summary>
internal sealed class PropertyFailure(string rule, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Rule { get; } = rule;
}
