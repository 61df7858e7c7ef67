using CsCheck;

namespace Ema.Runtime.Tests.Property;

/// <summary>The kinds of operation the property test drives; each one is meaningful in every state (see <see cref="EmaHarness"/>).</summary>
internal enum OperationKind
{
    /// <summary>A training step: the model's floating weights move by noise (a NaN or infinity becomes finite again), the integer buffer counts up.</summary>
    Train,

    /// <summary>A training step that diverges: one weight becomes NaN, +Inf or -Inf (exercises <see cref="NonFinitePolicy"/>).</summary>
    Diverge,

    /// <summary>Update one EMA at its next step (1 to 3 steps on).</summary>
    Update,

    /// <summary>Update one EMA with a step the rules refuse: 0, negative, repeated, going back, past the total, a total of 0.</summary>
    InvalidUpdate,

    /// <summary>Enter one EMA's UseEmaWeights (a second scope, of any EMA, must be refused).</summary>
    EnterScope,

    /// <summary>Dispose the active scope, if any.</summary>
    ExitScope,

    /// <summary>CopyToModel of one EMA.</summary>
    CopyToModel,

    /// <summary>Save a checkpoint (.safetensors or .pth), with one EMA or none; it is loaded and resumed into fresh objects at once.</summary>
    Save,

    /// <summary>LoadForInference of the latest checkpoint into the live model.</summary>
    LoadIntoModel,

    /// <summary>LoadForInference of the latest checkpoint into the bound twin (must be refused).</summary>
    LoadIntoTwin,

    /// <summary>Resume the latest checkpoint with an EMA into a fresh model and EMA, and carry on with those.</summary>
    ResumeFresh,

    /// <summary>Resume the latest fitting checkpoint into the live model and one of its EMAs.</summary>
    ResumeInPlace,

    /// <summary>Bind a fresh twin to one EMA, or unbind the bound one.</summary>
    ToggleTwin,

    /// <summary>Make another ModelEma of the same model (at most three live).</summary>
    AddEma,

    /// <summary>Dispose one EMA.</summary>
    DisposeEma,

    /// <summary>Call a member of a disposed EMA (must throw ObjectDisposedException).</summary>
    UseDisposed,
}

/// <summary>
/// One operation: a kind and small numbers whose meaning the kind gives (which EMA, how far, which variant, a noise
/// seed). Operations carry no state, so any subsequence of a failing sequence can be run again (that is how a failure
/// is shrunk).
/// </summary>
internal sealed record EmaOperation(OperationKind Kind, int Which, int Variant, int Seed)
{
    /// <summary>The random operation sequence of one case, without the kinds in <paramref name="leftOut"/>.</summary>
    public static Gen<EmaOperation[]> Sequence(int maxLength, IReadOnlySet<OperationKind> leftOut) =>
        Gen.Frequency(All.Where(k => !leftOut.Contains(k.Kind)).Select(k => (k.Weight, (IGen<EmaOperation>)k.Gen)).ToArray()).Array[1, maxLength];

    private static (OperationKind Kind, int Weight, Gen<EmaOperation> Gen)[] All { get; } = new[]
    {
        (6, Make(OperationKind.Train, 0, 0)),
        (1, Make(OperationKind.Diverge, 0, 2)),
        (8, Make(OperationKind.Update, 2, 2)),
        (2, Make(OperationKind.InvalidUpdate, 2, 5)),
        (3, Make(OperationKind.EnterScope, 2, 0)),
        (3, Make(OperationKind.ExitScope, 0, 0)),
        (1, Make(OperationKind.CopyToModel, 2, 0)),
        (2, Make(OperationKind.Save, 3, 1)),
        (1, Make(OperationKind.LoadIntoModel, 0, 0)),
        (1, Make(OperationKind.LoadIntoTwin, 0, 0)),
        (1, Make(OperationKind.ResumeFresh, 0, 0)),
        (1, Make(OperationKind.ResumeInPlace, 2, 0)),
        (2, Make(OperationKind.ToggleTwin, 2, 0)),
        (2, Make(OperationKind.AddEma, 0, 0)),
        (1, Make(OperationKind.DisposeEma, 2, 0)),
        (1, Make(OperationKind.UseDisposed, 0, 5)),
    }.Select(p => (Kind: p.Item2.Kind, Weight: p.Item1, Gen: p.Item2.Gen)).ToArray();

    private static (OperationKind Kind, Gen<EmaOperation> Gen) Make(OperationKind kind, int maxWhich, int maxVariant) =>
        (kind, Gen.Select(Gen.Int[0, maxWhich], Gen.Int[0, maxVariant], Gen.Int[0, 1_000_000],
            (which, variant, seed) => new EmaOperation(kind, which, variant, seed)));

    /// <summary>How the failure report prints it.</summary>
    public override string ToString() => Kind switch
    {
        OperationKind.Train => $"Train(seed {Seed})",
        OperationKind.Diverge => $"Diverge(seed {Seed}, {Variant switch { 0 => "NaN", 1 => "+Inf", _ => "-Inf" }})",
        OperationKind.Update => $"Update(ema {Which}, +{Variant + 1} steps)",
        OperationKind.InvalidUpdate => $"InvalidUpdate(ema {Which}, {InvalidStepNames[Variant]})",
        OperationKind.Save => $"Save({(Which == 0 ? "no ema" : $"ema {Which - 1}")}, {(Variant == 0 ? ".safetensors" : ".pth")})",
        OperationKind.ResumeFresh or OperationKind.LoadIntoModel or OperationKind.LoadIntoTwin or OperationKind.ExitScope => Kind.ToString(),
        OperationKind.AddEma => $"AddEma(seed {Seed})",
        OperationKind.UseDisposed => $"UseDisposed({DisposedMembers[Variant]})",
        _ => $"{Kind}(ema {Which})",
    };

    /// <summary>The refused steps of <see cref="OperationKind.InvalidUpdate"/>, by variant.</summary>
    public static string[] InvalidStepNames { get; } = ["step 0", "negative step", "repeated step", "step going back", "step past the total", "total of 0"];

    /// <summary>The members of <see cref="OperationKind.UseDisposed"/>, by variant.</summary>
    public static string[] DisposedMembers { get; } = ["Update", "UseEmaWeights", "CopyToModel", "EmaWeights", "BindTwin", "Load"];
}
