using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ema;

/// <summary>PyTorch's <c>torch.optim.swa_utils.update_bn</c> for the EMA's weights.</summary>
public sealed partial class ModelEma
{
    /// <summary>
    /// Recomputes the EMA's BatchNorm running statistics for its own weights, as PyTorch's <c>update_bn</c> does for an
    /// <c>AveragedModel</c>: the statistics are reset and become the cumulative average (momentum None) over a forward
    /// of every batch through the model computing with the EMA weights, in train mode, without grad. Averaged weights
    /// need it (SWA above all): the average of running statistics is not the statistics of the averaged weights.
    /// </summary>
    /// <remarks>
    /// Costs one forward pass per batch (no backward), so a pass over the training inputs costs about a third of a
    /// training epoch. The model's own weights, statistics, mode and BatchNorm momenta are unchanged afterwards (the
    /// forwards run inside <see cref="UseEmaWeights"/>); modules such as Dropout act as in training, as in PyTorch.
    /// If a batch's forward throws, the EMA's statistics are put back as they were. A bound twin sees the new statistics.
    /// </remarks>
    /// <param name="batches">Model inputs (the training inputs, without labels); at least one.</param>
    /// <exception cref="ArgumentException">There are no batches, the model has no BatchNorm with running statistics, a BatchNorm statistic is left out of the EMA, or the model does not take one tensor.</exception>
    /// <exception cref="InvalidOperationException">Called inside <see cref="UseEmaWeights"/>, or any reason that refuses <see cref="UseEmaWeights"/>.</exception>
    public void RecomputeBatchNorm(IEnumerable<Tensor> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ThrowIfUnusable();
        if (_model is not nn.Module<Tensor, Tensor> forward)
        {
            throw new ArgumentException($"ModelEma.RecomputeBatchNorm needs a model whose forward takes one tensor; {_model.GetName()} is a {_model.GetType().Name}.", nameof(batches));
        }

        List<(BatchNorm Module, string[] Names)> norms = BatchNormsWithStatistics();
        ThrowIfWeightsInModel("ModelEma.RecomputeBatchNorm", inOwnScope: "it enters the scope itself");

        using IEnumerator<Tensor> batch = batches.GetEnumerator();
        if (!batch.MoveNext())
        {
            throw new ArgumentException("ModelEma.RecomputeBatchNorm was given no batches: the statistics would be reset to mean 0 and variance 1. Pass at least one batch of model inputs.", nameof(batches));
        }

        bool wasTraining = _model.training;
        double?[] momenta = norms.Select(n => n.Module.momentum).ToArray();
        using (UseEmaWeights())
        using (no_grad())
        {
            // In the scope the model's statistics are the EMA's (re-pointed, exchanged, or copies on another device):
            // kept aside so that a failing forward cannot leave them half recomputed.
            Dictionary<string, Tensor> model = _model.state_dict();
            string[] names = norms.SelectMany(n => n.Names).ToArray();
            Dictionary<string, Tensor> before = names.ToDictionary(n => n, n => model[n].clone(), StringComparer.Ordinal);
            try
            {
                foreach ((BatchNorm module, _) in norms)
                {
                    module.running_mean!.zero_();
                    module.running_var!.fill_(1.0);
                    module.num_batches_tracked?.zero_();
                }

                _model.train();
                long count = 0;
                do
                {
                    count++;
                    foreach ((BatchNorm module, _) in norms)
                    {
                        // PyTorch's momentum None: the factor 1/n gives the cumulative average over the batches.
                        module.momentum = 1.0 / count;
                    }

                    using (NewDisposeScope())
                    {
                        forward.forward(batch.Current);
                    }
                }
                while (batch.MoveNext());

                WriteStatisticsToEma(names, model);
            }
            catch
            {
                foreach ((string name, Tensor value) in before)
                {
                    model[name].copy_(value);
                }

                WriteStatisticsToEma(names, model);
                throw;
            }
            finally
            {
                for (int i = 0; i < norms.Count; i++)
                {
                    norms[i].Module.momentum = momenta[i];
                }

                _model.train(wasTraining);
                foreach (Tensor value in before.Values)
                {
                    value.Dispose();
                }
            }
        }
    }

    /// <summary>
    /// Where the EMA is not the model's storage in the scope (another device or dtype: the model holds copies), the
    /// statistics computed in the model go to the EMA; elsewhere this copies a tensor onto itself.
    /// </summary>
    private void WriteStatisticsToEma(string[] names, Dictionary<string, Tensor> model)
    {
        IReadOnlyDictionary<string, Tensor> ema = EmaWeights;
        foreach (string name in names)
        {
            ema[name].copy_(model[name]);
        }
    }

    /// <summary>The model's BatchNorm modules that track running statistics, with their statistics' state-dict names; each must be in the EMA.</summary>
    private List<(BatchNorm Module, string[] Names)> BatchNormsWithStatistics()
    {
        var norms = new List<(BatchNorm, string[])>();
        foreach ((string path, nn.Module module) in _model.named_modules())
        {
            if (module is not BatchNorm norm || norm.running_mean is null || norm.running_var is null)
            {
                continue;
            }

            string prefix = path.Length == 0 ? "" : path + ".";
            string[] names = new[] { "running_mean", "running_var", "num_batches_tracked" }
                .Select(s => prefix + s)
                .Where(_emaByName.ContainsKey)
                .ToArray();
            if (names.FirstOrDefault(_selection.IsExcluded) is { } excluded)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"ModelEma.RecomputeBatchNorm cannot recompute '{excluded}': ModelEmaOptions.Exclude leaves it out of the EMA, so it is the model's own statistic and recomputing it would change the model."), "batches");
            }

            norms.Add((norm, names));
        }

        if (norms.Count == 0)
        {
            throw new ArgumentException($"ModelEma.RecomputeBatchNorm: the model {_model.GetName()} has no BatchNorm module with running statistics (track_running_stats), so there is nothing to recompute.", "batches");
        }

        return norms;
    }
}
