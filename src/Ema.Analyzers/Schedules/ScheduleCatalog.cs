using System.Collections.Concurrent;
using Ema.Shared;
using Ema.Shared.Roslyn;
using Microsoft.CodeAnalysis;

namespace Ema.Analyzers.Schedules;

/// <summary>
/// Every schedule a compilation can name: [DecaySchedule] classes in its own source and in the referenced
/// assemblies that carry [assembly: DecayScheduleProvider] (or are Ema.Runtime itself, which declares the
/// built-ins). Built once per compilation, on first use, and shared by the analyzers.
/// </summary>
internal sealed class ScheduleCatalog
{
    /// <summary>Keys every ema_params object may have, whatever its schedule.</summary>
    public static readonly ImmutableArray<string> CommonKeys = ImmutableArray.Create(EmaConfigKeys.Decay, EmaConfigKeys.DecayType);

    private static readonly PerCompilation<ScheduleCatalog> s_cache = new();

    private readonly Dictionary<string, ImmutableArray<ScheduleInfo>> _allByName;
    private readonly Dictionary<string, ImmutableArray<ScheduleInfo>> _sourceByRecord;
    private readonly Dictionary<string, ScheduleInfo> _byName;
    private readonly Dictionary<string, ScheduleInfo> _byRecord;
    private readonly HashSet<IAssemblySymbol> _declaringAssemblies;

    // FindByRecord runs for every constant argument of every EmaParams construction (5,000 in the compile-cost
    // project) and its key is a display string: computed once per record type instead of once per call.
    private readonly ConcurrentDictionary<INamedTypeSymbol, ScheduleInfo?> _recordCache = new(SymbolEqualityComparer.Default);

    /// <param name="source">The valid schedules declared in the compilation's own source.</param>
    /// <param name="referenced">The valid schedules of referenced provider assemblies.</param>
    private ScheduleCatalog(ImmutableArray<ScheduleInfo> source, ImmutableArray<ScheduleInfo> referenced)
    {
        ImmutableArray<ScheduleInfo> all = source.AddRange(referenced);
        _allByName = all.GroupBy(s => s.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToImmutableArray(), StringComparer.Ordinal);
        _sourceByRecord = source.GroupBy(s => s.RecordMetadataName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToImmutableArray(), StringComparer.Ordinal);

        // What the run-time registry will hold: the generator emits no colliding schedule of this compilation.
        HashSet<ScheduleInfo> colliding = ScheduleCollisions.Find(source, s => s.Name, s => s.RecordMetadataName);
        ImmutableArray<ScheduleInfo> registered = all.Where(s => !colliding.Contains(s)).ToImmutableArray();
        _byName = new Dictionary<string, ScheduleInfo>(StringComparer.Ordinal);
        _byRecord = new Dictionary<string, ScheduleInfo>(StringComparer.Ordinal);
        foreach (ScheduleInfo schedule in registered)
        {
            if (!_byName.ContainsKey(schedule.Name))
            {
                _byName.Add(schedule.Name, schedule);
            }

            _byRecord[schedule.RecordMetadataName] = schedule;
        }

        Names = _byName.Keys.OrderBy(n => n, StringComparer.Ordinal).ToImmutableArray();
        Keys = CommonKeys.Concat(registered.SelectMany(s => s.Parameters).Select(p => p.Key))
            .Distinct(StringComparer.Ordinal).OrderBy(k => k, StringComparer.Ordinal).ToImmutableArray();
        _declaringAssemblies = new HashSet<IAssemblySymbol>(registered.Select(s => s.Type.ContainingAssembly), SymbolEqualityComparer.Default);
        Origins = string.Join(", ", registered.Select(s => s.Type.ContainingAssembly.Name).Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal));
    }

    /// <summary>The schedule names, sorted.</summary>
    public ImmutableArray<string> Names { get; }

    /// <summary>decay, decay_type and every schedule's keys, sorted.</summary>
    public ImmutableArray<string> Keys { get; }

    /// <summary>The assemblies that declare the schedules, for messages.</summary>
    public string Origins { get; }

    public static ScheduleCatalog For(Compilation compilation, EmaSymbols symbols) =>
        s_cache.Get(compilation, c => Build(c, symbols));

    /// <summary>The registered schedule of that name (the first one, when referenced assemblies clash).</summary>
    public ScheduleInfo? FindByName(string name) => _byName.TryGetValue(name, out ScheduleInfo? found) ? found : null;

    /// <summary>Every valid schedule of that name, registered or not, for EMA0003.</summary>
    public ImmutableArray<ScheduleInfo> AllNamed(string name) =>
        _allByName.TryGetValue(name, out ImmutableArray<ScheduleInfo> found) ? found : ImmutableArray<ScheduleInfo>.Empty;

    /// <summary>The schedules of this compilation's source whose record is <paramref name="recordMetadataName"/>, for EMA0003.</summary>
    public ImmutableArray<ScheduleInfo> SourceWithRecord(string recordMetadataName) =>
        _sourceByRecord.TryGetValue(recordMetadataName, out ImmutableArray<ScheduleInfo> found) ? found : ImmutableArray<ScheduleInfo>.Empty;

    /// <summary>The schedule whose generated record is <paramref name="record"/>.</summary>
    public ScheduleInfo? FindByRecord(INamedTypeSymbol record) =>
        _recordCache.GetOrAdd(record, r => _byRecord.TryGetValue(r.ToDisplayString(), out ScheduleInfo? found) ? found : null);

    /// <summary>Whether <paramref name="assembly"/> (this compilation's or a referenced one) declares a valid schedule.</summary>
    public bool DeclaresSchedules(IAssemblySymbol assembly) => _declaringAssemblies.Contains(assembly);

    /// <summary>"constant, exp, threshold".</summary>
    public string DescribeNames() => string.Join(", ", Names);

    /// <summary>
    /// Reads one schedule class; null when it has no [DecaySchedule] or fails the shared shape check (the generator
    /// does not emit it, so the registry will not know its name; EMA0004 says why).
    /// </summary>
    public static ScheduleInfo? TryRead(INamedTypeSymbol type, EmaSymbols symbols)
    {
        AttributeData? attribute = symbols.GetScheduleAttribute(type);
        if (attribute is null || ScheduleShape.Check(type, attribute, symbols.DecayFunction).Count > 0 ||
            ScheduleShape.ReadName(attribute) is not string name || ScheduleShape.SelectConstructor(type) is not IMethodSymbol constructor)
        {
            return null;
        }

        ImmutableArray<ScheduleParameter> parameters = constructor.Parameters
            .Select(p => new ScheduleParameter(p.Name, ReadRange(p, symbols))).ToImmutableArray();
        return new ScheduleInfo(name, type, parameters);
    }

    /// <summary>The [Range] of a parameter or property, read as the generator reads it.</summary>
    public static RangeData? ReadRange(ISymbol symbol, EmaSymbols symbols) =>
        symbols.RangeAttribute is not null && RangeReader.Find(symbol) is { } range ? RangeReader.Read(range) : null;

    private static ScheduleCatalog Build(Compilation compilation, EmaSymbols symbols)
    {
        var source = ImmutableArray.CreateBuilder<ScheduleInfo>();
        Collect(compilation.Assembly.GlobalNamespace, symbols, source);
        var referenced = ImmutableArray.CreateBuilder<ScheduleInfo>();
        foreach (IAssemblySymbol assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            if (IsScheduleProvider(assembly, symbols))
            {
                Collect(assembly.GlobalNamespace, symbols, referenced);
            }
        }

        return new ScheduleCatalog(source.ToImmutable(), referenced.ToImmutable());
    }

    /// <summary>
    /// Only providers are searched, so that a project with many references pays for the few that declare
    /// schedules. Ema.Runtime counts as one even before its generated provider attribute exists.
    /// </summary>
    /// <remarks>
    /// An assembly can carry the provider attribute only if it references the assembly that declares it, so the
    /// metadata's reference list (cheap to read) rules out the framework before GetAttributes, which decodes
    /// every assembly-level attribute and binds their types: that was most of this analyzer's time in a cold
    /// csc with ~170 references. The generator's registry search (Parser.ParseAssembly) filters the same way.
    /// </remarks>
    private static bool IsScheduleProvider(IAssemblySymbol assembly, EmaSymbols symbols)
    {
        if (SymbolEqualityComparer.Default.Equals(assembly, symbols.EmaParams.ContainingAssembly))
        {
            return true;
        }

        if (symbols.ProviderAttribute is not { } provider)
        {
            return false;
        }

        string providerAssembly = provider.ContainingAssembly.Name;
        return assembly.Modules.Any(m => m.ReferencedAssemblies.Any(r => r.Name == providerAssembly)) &&
            assembly.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, provider));
    }

    private static void Collect(INamespaceSymbol ns, EmaSymbols symbols, ImmutableArray<ScheduleInfo>.Builder schedules)
    {
        foreach (INamespaceOrTypeSymbol member in ns.GetMembers())
        {
            if (member is INamespaceSymbol childNamespace)
            {
                Collect(childNamespace, symbols, schedules);
            }
            else if (member is INamedTypeSymbol type)
            {
                CollectType(type, symbols, schedules);
            }
        }
    }

    private static void CollectType(INamedTypeSymbol type, EmaSymbols symbols, ImmutableArray<ScheduleInfo>.Builder schedules)
    {
        if (type.TypeKind == TypeKind.Class && TryRead(type, symbols) is { } schedule)
        {
            schedules.Add(schedule);
        }

        foreach (INamedTypeSymbol nested in type.GetTypeMembers())
        {
            CollectType(nested, symbols, schedules);
        }
    }
}
