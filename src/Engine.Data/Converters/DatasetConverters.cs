namespace Engine.Data.Converters;

/// <summary>The converters of the six datasets of the study, by --dataset name.</summary>
public static class DatasetConverters
{
    public static readonly IReadOnlyList<IDatasetConverter> All =
    [
        new KvasirSegConverter(),
        new CvcClinicDbConverter(),
        new PolypTestSetConverter.CvcColonDb(),
        new PolypTestSetConverter.EtisLaribPolypDb(),
        new PneumothoraxConverter(),
        new AbdomenCt1kConverter(),
    ];

    public static IDatasetConverter Get(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown dataset '{name}'; known: {string.Join(", ", All.Select(c => c.Name))}");
}
