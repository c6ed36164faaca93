using System.Buffers.Binary;
using System.Text.Json;

namespace Engine.Text.Tests;

/// <summary>
/// Just enough of the safetensors format to read the int64 reference tensors of the tokenizer goldens
/// (8-byte little-endian header length, JSON header, raw little-endian data), kept here so the tokenizer tests do
/// not depend on the weights library.
/// </summary>
internal static class MiniSafetensors
{
    public static Dictionary<string, (long[] Data, int[] Shape)> ReadInt64(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        long dataStart = 8 + headerLength;
        var result = new Dictionary<string, (long[], int[])>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            if (entry.Value.GetProperty("dtype").GetString() != "I64") continue;
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var data = new long[(offsets[1] - offsets[0]) / 8];
            for (int i = 0; i < data.Length; i++)
                data[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)(dataStart + offsets[0] + 8 * i), 8));
            result[entry.Name] = (data, shape);
        }
        return result;
    }
}
