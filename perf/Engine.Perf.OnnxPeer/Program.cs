using System.Text.Json;
using Engine.Perf.OnnxPeer;

// ViT-B/16 forward: our engine against ONNX Runtime on the same model, weights, input and machine (issue 3).
// Progress goes to stderr; results (text lines, or JSON lines with --json) to stdout. Exit code 1 when the two
// sides' outputs disagree, 2 on bad arguments.
if (args.Length >= 1 && args[0] == "--gemm")
{
    // Kernel-level comparison: --gemm M,K,N[,threads][;M,K,N...] [rounds] (see GemmPeer).
    var shapes = new List<int[]>();
    int rounds = 30;
    bool ok = args.Length is 2 or 3 && (args.Length == 2 || int.TryParse(args[2], out rounds) && rounds >= 1);
    foreach (var shape in ok ? args[1].Split(';', StringSplitOptions.RemoveEmptyEntries) : Array.Empty<string>())
    {
        var d = shape.Split(',').Select(v => int.TryParse(v, out int x) && x >= 1 ? x : -1).ToArray();
        if (d.Length is < 3 or > 4 || d.Any(x => x < 1)) { ok = false; break; }
        shapes.Add(d);
    }
    if (!ok || shapes.Count == 0) { Console.Error.WriteLine("usage: Engine.Perf.OnnxPeer --gemm M,K,N[,threads][;M,K,N...] [rounds]"); return 2; }
    try
    {
        foreach (var d in shapes) GemmPeer.Run(d[0], d[1], d[2], d.Length > 3 ? d[3] : Environment.ProcessorCount, rounds, Console.Out);
    }
    catch (OutputMismatchException e) { Console.Error.WriteLine("FAILED: " + e.Message); return 1; }
    return 0;
}
PeerOptions options;
try { options = PeerOptions.Parse(args); }
catch (PeerOptions.HelpRequested) { Console.WriteLine(PeerOptions.Usage); return 0; }
catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }

var bench = new OnnxPeerBenchmark(options, m => Console.Error.WriteLine(m));
var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
try
{
    foreach (var r in bench.Run())
    {
        if (options.Json) Console.WriteLine(JsonSerializer.Serialize(r, json));
        else { Console.WriteLine(r.Line()); Console.WriteLine(r.PairedLine()); Console.WriteLine(r.PeakLine()); }
    }
}
catch (OutputMismatchException e) { Console.Error.WriteLine("FAILED: " + e.Message); return 1; }
return 0;
