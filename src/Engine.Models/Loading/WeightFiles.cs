using Engine.Weights;

namespace Engine.Models.Loading;

/// <summary>Reads a checkpoint file (safetensors, sharded safetensors index, torch zip) into float32 tensors under their
/// checkpoint key names, with the file named in every error.</summary>
public static class WeightFiles
{
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Weights file '{path}' does not exist.", path);
        try
        {
            return CheckpointReader.LoadFile(path);
        }
        catch (Exception e) when (e is not (FileNotFoundException or OutOfMemoryException) && !e.Message.Contains(Path.GetFileName(path), StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Cannot read weights from '{path}': {e.Message}", e);
        }
    }
}
