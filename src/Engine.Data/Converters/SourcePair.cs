namespace Engine.Data.Converters;

/// <summary>One source image and its mask; <see cref="Id"/> names the output files.</summary>
public sealed record SourcePair(string Id, string ImagePath, string MaskPath);
