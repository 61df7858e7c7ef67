namespace Ema;

/// <summary>
/// The one home of a checkpoint's section names and keys, in both formats: <c>net</c> and <c>ema_net</c>
/// (SuperGradients' own; <c>net.</c>/<c>ema_net.</c> prefix a safetensors key), a corrected schedule's sections and
/// the optimizer's state. Writers, readers, layouts, the engine and the <c>ema</c> tool all read them here.
/// </summary>
internal static class CheckpointKeys
{
    /// <summary>The section of the raw weights.</summary>
    public const string Net = "net";

    /// <summary>The section of the EMA weights (the weights the EMA hands out).</summary>
    public const string EmaNet = "ema_net";

    /// <summary>What joins a section and a state-dict key in a safetensors key (<c>net.fc.weight</c>).</summary>
    public const string Separator = ".";

    /// <summary>The key prefix of the raw weights in safetensors.</summary>
    public const string NetPrefix = Net + Separator;

    /// <summary>The key prefix of the EMA weights in safetensors.</summary>
    public const string EmaNetPrefix = EmaNet + Separator;

    /// <summary>The safetensors key of the optimizer's state (a U8 tensor in TorchSharp's optimizer serialization).</summary>
    public const string OptimizerState = "optimizer.state";

    /// <summary>The section of a <c>bema</c> EMA's running average (the weights it hands out are under <see cref="EmaNet"/>).</summary>
    public const string BemaAverage = "ema_bema_average";

    /// <summary>The section of a <c>bema</c> EMA's anchor, the model at step <c>update_after</c>.</summary>
    public const string BemaAnchor = "ema_bema_anchor";
}
