using System.Buffers.Binary;
using System.Text.Json;

namespace Engine.Imaging.Tests;

/// <summary>Minimal safetensors reader for the test's reference tensors (raw bytes + shape per name).</summary>
internal static class MiniSafetensors
{
    public static Dictionary<string, (byte[] Data, int[] Shape)> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var result = new Dictionary<string, (byte[], int[])>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var o = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            result[entry.Name] = (bytes.AsSpan((int)(8 + headerLength + o[0]), (int)(o[1] - o[0])).ToArray(), shape);
        }
        return result;
    }

    public static float[] AsFloat32(byte[] data)
    {
        var f = new float[data.Length / 4];
        for (int i = 0; i < f.Length; i++) f[i] = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(4 * i));
        return f;
    }
}
