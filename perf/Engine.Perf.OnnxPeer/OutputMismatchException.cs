namespace Engine.Perf.OnnxPeer;

/// <summary>The engine and ONNX Runtime computed different outputs: the exported graph is not the same model, so a
/// timing comparison would mean nothing.</summary>
internal sealed class OutputMismatchException(string message) : Exception(message);
