namespace Engine.Data.Converters;

/// <summary>Converts one published dataset, as its publisher distributes it, into the standard layout.</summary>
public interface IDatasetConverter
{
    /// <summary>The --dataset name, e.g. "kvasir-seg".</summary>
    string Name { get; }

    /// <summary>Human title and where it is published.</summary>
    string Title { get; }

    /// <summary>The source layout(s) accepted, as shown in errors and help.</summary>
    string ExpectedLayout { get; }

    string DefaultSplitDescription { get; }

    ConversionResult Convert(ConversionOptions options, IConversionLog log);
}
