using System.Reflection;

namespace Engine.Models.Loading;

/// <summary>
/// Registry of <see cref="IModelFamily"/> and <see cref="IModelInitializer"/> implementations, discovered by reflection in
/// this assembly (one file per family, no list to edit). Hosts may <see cref="Register"/> more.
/// </summary>
public static class ModelFamilies
{
    private static readonly object Lock = new();
    private static List<IModelFamily>? _families;
    private static List<IModelInitializer>? _initializers;

    public static IReadOnlyList<IModelFamily> All { get { lock (Lock) return (_families ??= Discover<IModelFamily>()).ToList(); } }

    public static IReadOnlyList<IModelInitializer> Initializers { get { lock (Lock) return (_initializers ??= Discover<IModelInitializer>()).ToList(); } }

    public static void Register(IModelFamily family) { lock (Lock) (_families ??= Discover<IModelFamily>()).Add(family); }

    public static void Register(IModelInitializer init) { lock (Lock) (_initializers ??= Discover<IModelInitializer>()).Add(init); }

    /// <summary>The one family that reads <paramref name="folder"/>; a clear error when none or several do.</summary>
    public static IModelFamily Detect(ModelFolder folder)
    {
        var hits = All.Where(f => f.CanOpen(folder)).ToList();
        if (hits.Count == 1) return hits[0];
        if (hits.Count == 0)
            throw new NotSupportedException($"No model family reads '{folder.Path}' ({Describe(folder)}). Known families: {string.Join(", ", All.Select(f => f.Name).OrderBy(x => x, StringComparer.Ordinal))}.");
        throw new InvalidOperationException($"Several model families claim '{folder.Path}': {string.Join(", ", hits.Select(h => h.Name))}.");
    }

    public static IModelFamily Detect(string folder) => Detect(ModelFolder.Open(folder));

    public static IModelInitializer Initializer(string family)
    {
        var hit = Initializers.FirstOrDefault(i => string.Equals(i.Family, family, StringComparison.OrdinalIgnoreCase));
        return hit ?? throw new NotSupportedException($"Unknown family '{family}' for init; known: {string.Join(", ", Initializers.Select(i => i.Family).OrderBy(x => x, StringComparer.Ordinal))}.");
    }

    private static string Describe(ModelFolder f) => f.Layout switch
    {
        ModelFolderLayout.HuggingFace => $"config.json model_type \"{f.ModelType}\"",
        ModelFolderLayout.OpenClip => "open_clip_config.json",
        _ => System.IO.Path.GetFileName(f.DescriptorFile),
    };

    private static List<T> Discover<T>() where T : class
        => typeof(ModelFamilies).Assembly.GetTypes()
            .Where(t => typeof(T).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false } && t.GetConstructor(Type.EmptyTypes) != null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (T)Activator.CreateInstance(t)!)
            .ToList();
}

/// <summary>Writes a random-initialised model folder (<c>engine init --family NAME</c>). One class per family, discovered by reflection.</summary>
public interface IModelInitializer
{
    string Family { get; }
    IReadOnlyList<string> Presets { get; }
    /// <summary>Writes the folder; returns a one-line summary (parameter count, files).</summary>
    string Initialize(ModelInitRequest request);
}

/// <summary>Arguments of <c>engine init</c>. <see cref="Options"/> carries family-specific named inputs
/// (e.g. "biomedclip" = DIR, "decoder-from" = DIR, "clip-backbone" = FILE).</summary>
public sealed record ModelInitRequest(string OutDir, string? Preset, string? VocabDir, int Seed, IReadOnlyDictionary<string, string> Options);
