using System.Diagnostics;
using System.Text.Json;
using Engine.Profiling;
using Microsoft.ML.OnnxRuntime;

namespace Engine.Perf.OnnxPeer;

/// <summary>
/// Where each side spends its time (<c>--profile N</c>): N more forwards of each side with its own profiler on, ours
/// per kernel and shape (Engine.Profiling.OpProfiler) and ONNX Runtime's per node type and output shape (its JSON
/// profile, parsed here), printed as two tables of milliseconds per forward. Profiling slows both sides a little, so
/// these runs are separate from the timed rounds.
/// </summary>
internal static class SideBySideProfile
{
    public static void Run(Action engineForward, byte[] onnxModel, int threads, Action<InferenceSession> ortForward, int runs, TextWriter output)
    {
        OpProfiler.ByShape = true;
        OpProfiler.Reset();
        var sw = Stopwatch.StartNew();
        OpProfiler.Start();
        try { for (int i = 0; i < runs; i++) engineForward(); }
        finally { OpProfiler.Stop(); }
        double engineMs = sw.Elapsed.TotalMilliseconds / runs;
        var ours = OpProfiler.Snapshot().Select(s => (s.Name, Ms: s.TotalMs / runs, Calls: s.Calls / runs)).ToList();
        OpProfiler.Reset();

        string prefix = Path.Combine(Path.GetTempPath(), $"ort-peer-profile-{Environment.ProcessId}");
        using var options = OnnxPeerBenchmark.OrtOptions(threads, spinning: true);
        options.EnableProfiling = true;
        options.ProfileOutputPathPrefix = prefix;
        string file;
        double ortMs;
        using (var session = new InferenceSession(onnxModel, options))
        {
            ortForward(session); // first run: allocations, not counted
            sw.Restart();
            for (int i = 0; i < runs; i++) ortForward(session);
            ortMs = sw.Elapsed.TotalMilliseconds / runs;
            file = session.EndProfiling();
        }
        var theirs = ParseOrtProfile(file, runs + 1, skipRuns: 1, runs);
        File.Delete(file);

        output.WriteLine($"engine: {engineMs:F1} ms per forward (profiled)");
        foreach (var (name, ms, calls) in ours.Take(16)) output.WriteLine($"  {name,-48} {calls,4} calls {ms,8:F2} ms");
        output.WriteLine($"onnxruntime: {ortMs:F1} ms per forward (profiled)");
        foreach (var (name, ms, calls) in theirs.Take(16)) output.WriteLine($"  {name,-48} {calls,4} calls {ms,8:F2} ms");
    }

    /// <summary>Node events of ORT's chrome-trace JSON grouped by op type and first output shape, per forward.</summary>
    private static List<(string Name, double Ms, long Calls)> ParseOrtProfile(string file, int totalRuns, int skipRuns, int runs)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var nodes = doc.RootElement.EnumerateArray()
            .Where(e => e.TryGetProperty("cat", out var c) && c.GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
            .ToList();
        // Node events come in run order; drop the warm-up run's share.
        int perRun = nodes.Count / totalRuns;
        var stats = new Dictionary<string, (double Us, long Calls)>();
        foreach (var e in nodes.Skip(perRun * skipRuns))
        {
            var args = e.GetProperty("args");
            string op = args.TryGetProperty("op_name", out var o) ? o.GetString() ?? "?" : "?";
            string shape = args.TryGetProperty("output_type_shape", out var s) ? Shape(s) : "";
            string key = $"{op} {shape}";
            var (us, calls) = stats.GetValueOrDefault(key);
            stats[key] = (us + e.GetProperty("dur").GetDouble(), calls + 1);
        }
        return stats.Select(kv => (kv.Key, kv.Value.Us / 1000 / runs, kv.Value.Calls / runs)).OrderByDescending(x => x.Item2).ToList();
    }

    private static string Shape(JsonElement outputs)
    {
        foreach (var o in outputs.EnumerateArray())
            foreach (var p in o.EnumerateObject())
                return string.Join("x", p.Value.EnumerateArray().Select(d => d.GetInt64()));
        return "";
    }
}
