namespace Engine.Models.Loading;

/// <summary>Sanity checks on config values, so a broken config fails with its file and key instead of a shape error deep in a forward pass.</summary>
internal static class ConfigChecks
{
    public static void Positive(string source, params (string key, int value)[] values)
    {
        foreach (var (k, v) in values)
            if (v <= 0) throw new InvalidDataException($"{source}: '{k}' must be positive (found {v}).");
    }

    public static void Divisible(string source, string key, int value, string byKey, int by)
    {
        if (value % by != 0) throw new InvalidDataException($"{source}: '{key}' ({value}) must be divisible by '{byKey}' ({by}).");
    }
}
