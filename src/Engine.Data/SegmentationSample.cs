using Engine.Imaging;
namespace Engine.Data;

/// <summary>One loaded training/evaluation sample.</summary>
public sealed record SegmentationSample(int Index, DatasetRecord Record, RgbImage Image, BinaryMask Mask, string Prompt);
