namespace Engine.Weights;

/// <summary>What <see cref="CheckpointConverter.Convert"/> did.</summary>
public sealed record CheckpointConversion(string Source, string Output, int TensorCount, long Elements, long Bytes, IReadOnlyList<string> Excluded);

/// <summary>Converts any checkpoint <see cref="CheckpointReader"/> reads (folder, .bin/.pth/.pt zip, shards) into one
/// safetensors file with the same keys and values (F16/BF16/F64 arrive as F32, since that is what the reader gives).</summary>
public static class CheckpointConverter
{
    public static CheckpointConversion Convert(string input, string output, IEnumerable<string>? exclude = null)
    {
        string source = Directory.Exists(input) ? CheckpointReader.ResolveWeightsFile(input) : input;
        if (File.Exists(output) && Path.GetFullPath(output) == Path.GetFullPath(source))
            throw new ArgumentException($"--out '{output}' is the input file itself; choose another output path.");
        var tensors = CheckpointReader.Load(source);
        var excluded = new List<string>();
        foreach (var key in exclude ?? Array.Empty<string>())
        {
            if (!tensors.Remove(key)) throw new ArgumentException($"--exclude '{key}': no such tensor in {source}.");
            excluded.Add(key);
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["converted_from"] = Path.GetFileName(source),
        };
        SafetensorsFile.Write(output, tensors, metadata);
        long elements = tensors.Values.Sum(t => t.Numel);
        long bytes = tensors.Values.Sum(t => t.Numel * SafetensorsDTypes.FromEngine(t.DType).ByteSize());
        return new CheckpointConversion(source, output, tensors.Count, elements, bytes, excluded);
    }
}
