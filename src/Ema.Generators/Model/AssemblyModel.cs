namespace Ema.Generators.Model;

/// <summary>What the registry of one compilation needs to know about the compilation itself.</summary>
/// <param name="AssemblyName">The assembly's name ("Ema.Runtime").</param>
/// <param name="RegistryNamespace">The generated registry's namespace ("Ema.Generated.Ema_Runtime").</param>
/// <param name="HasRuntime">Whether Ema.Runtime's registry API is visible; without it nothing is emitted.</param>
/// <param name="HasModuleInitializer">Whether <c>ModuleInitializerAttribute</c> exists in the target framework.</param>
/// <param name="ReferencedRegistries">Fully qualified registries of referenced assemblies carrying DecayScheduleProviderAttribute, sorted.</param>
internal sealed record AssemblyModel(
    string AssemblyName,
    string RegistryNamespace,
    bool HasRuntime,
    bool HasModuleInitializer,
    EquatableArray<string> ReferencedRegistries)
{
    /// <summary>The registry class with <c>global::</c>.</summary>
    public string RegistryFullName => "global::" + RegistryNamespace + "." + RegistryClassName;

    /// <summary>The generated registry's class name.</summary>
    public const string RegistryClassName = "DecayScheduleRegistry";
}
