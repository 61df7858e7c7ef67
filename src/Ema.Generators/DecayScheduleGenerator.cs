using System;
using System.Collections.Generic;
using System.Linq;
using Ema.Generators.Model;
using Ema.Shared.Roslyn;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ema.Generators;

/// <summary>
/// Turns <c>[DecaySchedule]</c> classes into typed <c>*EmaParams</c> records and registers them, with the
/// schedules of referenced assemblies, from a generated per-assembly registry.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class DecayScheduleGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, for incremental-caching tests.</summary>
    public static class Steps
    {
        /// <summary>One model per [DecaySchedule] class (null filtered out).</summary>
        public const string Schedules = "Schedules";

        /// <summary>All schedule models of the compilation, sorted.</summary>
        public const string AllSchedules = "AllSchedules";

        /// <summary>The compilation's name and referenced schedule registries.</summary>
        public const string Assembly = "Assembly";

        /// <summary>Schedules and assembly, combined for emission.</summary>
        public const string Output = "Output";
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ScheduleModel> schedules = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Parser.ScheduleAttributeName,
                // Record classes are schedule classes too; the shape check rejects anything else the attribute lands on.
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                static (ctx, ct) => Parser.ParseSchedule(ctx, ct))
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(Steps.Schedules);

        IncrementalValueProvider<EquatableArray<ScheduleModel>> all = schedules
            .Collect()
            .Select(static (models, _) => new EquatableArray<ScheduleModel>(
                models.OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.HintName, StringComparer.Ordinal)))
            .WithTrackingName(Steps.AllSchedules);

        // Runs on every compilation change, but its output is a small equatable record: unchanged input means
        // an Unchanged step and no re-emission.
        IncrementalValueProvider<AssemblyModel> assembly = context.CompilationProvider
            .Select(static (compilation, ct) => Parser.ParseAssembly(compilation, ct))
            .WithTrackingName(Steps.Assembly);

        IncrementalValueProvider<(EquatableArray<ScheduleModel> Schedules, AssemblyModel Assembly)> output = all
            .Combine(assembly)
            .WithTrackingName(Steps.Output);

        context.RegisterSourceOutput(output, static (spc, input) => Emit(spc, input.Schedules, input.Assembly));
    }

    private static void Emit(SourceProductionContext context, EquatableArray<ScheduleModel> schedules, AssemblyModel assembly)
    {
        if (!assembly.HasRuntime)
        {
            return;
        }

        // Two schedules with one name, or with one record, would not compile (or would throw in AddSource): emit
        // neither; the analyzers report EMA0003 on both, by the same shared rule.
        HashSet<ScheduleModel> colliding = ScheduleCollisions.Find(schedules, s => s.Name, s => s.RecordFullName);
        List<ScheduleModel> emitted = schedules.Where(s => !colliding.Contains(s)).ToList();

        foreach (ScheduleModel schedule in emitted)
        {
            context.AddSource(schedule.HintName, RecordEmitter.Emit(schedule));
        }

        if (emitted.Count > 0 || assembly.ReferencedRegistries.Count > 0)
        {
            context.AddSource(assembly.RegistryNamespace + "." + AssemblyModel.RegistryClassName + ".g.cs", RegistryEmitter.Emit(assembly, emitted));
        }
    }
}
